// How `npx mizan-generate` regenerates src/api: it runs the example server's export command
// (no running server, no database) from the workspace's root. MIZAN_SERVER names an already
// built server binary instead (the test run uses the release build it has just made).
const server = process.env.MIZAN_SERVER;

export default {
  export: {
    command: server ? [server] : ['cargo', 'run', '--quiet', '-p', 'server', '--'],
    cwd: '../..',
  },
  output: 'src/api',
};
