// Test upstreams (a PyPI index, an npm registry) must stop the way a real one goes down —
// open connections cut — and come back on the same port.
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

export interface Restartable {
  /** Listens on 127.0.0.1 at a free port; resolves with it. */
  start(): Promise<number>;
  close(): Promise<void>;
  /** Listens again on the port `start` chose. */
  restart(): Promise<void>;
}

export function restartable(server: Server): Restartable {
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  let port = 0;
  const listen = (at: number): Promise<number> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(at, '127.0.0.1', () => {
        server.off('error', reject);
        const address = server.address();
        resolve(typeof address === 'object' && address !== null ? address.port : at);
      });
    });
  return {
    start: async () => (port = await listen(0)),
    close: () =>
      new Promise<void>((resolve) => {
        if (!server.listening) return resolve();
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
    restart: async () => {
      if (!server.listening) await listen(port);
    },
  };
}
