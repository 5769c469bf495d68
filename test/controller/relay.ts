/**
 * A TCP relay the tests open and close, in front of a real server (Temporal, the kube-apiserver):
 * closing it cuts every connection and refuses new ones, like a network outage. Every byte goes to
 * the real server; nothing is mocked.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

/** A free TCP port on 127.0.0.1 (listened on, then released). */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** A relay from 127.0.0.1:`port` to `target`; closed until started. */
export interface Relay {
  port: number;
  start(): Promise<void>;
  /** Cuts the open connections and stops listening. */
  stop(): Promise<void>;
}

/** Makes a relay (not started). */
export function relay(port: number, target: { host: string; port: number }): Relay {
  let server: Server | undefined;
  const sockets = new Set<Socket>();
  return {
    port,
    start: () =>
      new Promise<void>((resolve, reject) => {
        server = createServer((inbound) => {
          const outbound = connect(target.port, target.host);
          for (const x of [inbound, outbound]) {
            sockets.add(x);
            x.on('error', () => undefined);
            x.on('close', () => sockets.delete(x));
          }
          inbound.pipe(outbound).pipe(inbound);
          inbound.on('close', () => outbound.destroy());
          outbound.on('close', () => inbound.destroy());
        });
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => resolve());
      }),
    stop: async () => {
      const s = server;
      server = undefined;
      for (const x of sockets) x.destroy();
      await new Promise<void>((r) => (s ? s.close(() => r()) : r()));
    },
  };
}
