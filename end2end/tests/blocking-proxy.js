// A reverse proxy that passes plain HTTP (event streams included, unbuffered) and refuses every
// WebSocket upgrade, as proxies without WebSocket support do: what the socket's fallback is for.
import { createServer, request } from 'node:http';

/**
 * Starts the proxy on a free loopback port in front of `target` (`http://127.0.0.1:<port>`).
 * Returns its URL, how many upgrades it refused, and `close()`.
 */
export async function startBlockingProxy(target) {
  const upstream = new URL(target);
  const refused = { upgrades: 0 };
  const open = new Set();
  const server = createServer((incoming, outgoing) => {
    // `Host` is kept: to the server the page's origin is the proxy's, as behind a real one.
    const forwarded = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: incoming.method,
        path: incoming.url,
        headers: incoming.headers,
      },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        outgoing.flushHeaders();
        answer.pipe(outgoing);
      },
    );
    // A client gone (a reload, a closed tab) takes its upstream request with it, as with a
    // real proxy: an event stream does not outlive its reader.
    outgoing.on('close', () => forwarded.destroy());
    forwarded.on('error', () => {
      if (!outgoing.headersSent) outgoing.writeHead(502);
      outgoing.end();
    });
    incoming.pipe(forwarded);
  });
  server.on('upgrade', (_request, socket) => {
    refused.upgrades += 1;
    socket.end('HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  });
  server.on('connection', (socket) => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
  });
  await new Promise((listening) => server.listen(0, '127.0.0.1', listening));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    refused,
    close: () =>
      new Promise((closed) => {
        for (const socket of open) socket.destroy();
        server.close(() => closed());
      }),
  };
}
