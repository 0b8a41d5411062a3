import { createServer } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SimTls } from '../tls.js';

/** A request handler that may be async; a rejection becomes a 500 and a log line. */
export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/** A started HTTPS listener on loopback. */
export interface HttpsListener {
  /** `https://127.0.0.1:<port>` */
  origin: string;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 with an ephemeral port and the sim's server certificate. */
export async function listenHttps(
  tls: SimTls,
  handler: RequestHandler,
  log: (line: string) => void,
): Promise<HttpsListener> {
  const server = createServer({ cert: tls.server.cert, key: tls.server.key }, (req, res) => {
    Promise.resolve()
      .then(() => handler(req, res))
      .catch((error: unknown) => {
        log(`${req.method} ${req.url?.split('?')[0]}: ${(error as Error).message}`);
        if (!res.headersSent) {
          res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        }
        res.end('internal error\n');
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: `https://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
