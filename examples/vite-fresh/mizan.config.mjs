// How `npx mizan-generate` writes src/api: it runs the example server's export command (no
// running server, no database) from the workspace's root. MIZAN_SERVER names an already built
// server binary instead (scripts/check-fresh-vite.sh passes the one the test run built).
const server = process.env.MIZAN_SERVER;

export default {
  export: {
    command: server ? [server] : ['cargo', 'run', '--quiet', '-p', 'server', '--'],
    cwd: '../..',
  },
  output: 'src/api',
};
