import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A redirect the browser delivered, and a way to answer it once the code is exchanged. */
export interface Callback {
  url: URL;
  /** Answers the browser; resolves once the page is sent. */
  respond(status: number, message: string): Promise<void>;
}

/** A loopback redirect receiver (RFC 8252 §7.3) on 127.0.0.1 and a random port. */
export interface LoopbackReceiver {
  redirectUri: string;
  /** Resolves with the first request to /callback whose `state` matches; rejects on timeout. */
  next(expectedState: string, timeoutMs: number, signal?: AbortSignal): Promise<Callback>;
  close(): Promise<void>;
}

function page(res: ServerResponse, status: number, message: string): void {
  const body = `<!doctype html><meta charset="utf-8"><title>kgate</title><p>${message.replace(/[<&>]/g, '')}</p>\n`;
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** Starts the receiver; only `GET /callback` is served, anything else gets 404. */
export async function startLoopback(): Promise<LoopbackReceiver> {
  let deliver: ((callback: Callback) => void) | undefined;
  let wantedState = '';
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
    if (req.method !== 'GET' || url.pathname !== '/callback') return page(res, 404, 'Not found.');
    // A request without our state is not the IdP's redirect (another tab, a forged link): keep waiting.
    if (url.searchParams.get('state') !== wantedState || !deliver) return page(res, 400, 'This sign-in link is not the one kgate is waiting for.');
    const resolve = deliver;
    deliver = undefined;
    resolve({
      url,
      respond: (status, message) => new Promise<void>((done) => {
        res.once('close', () => done());
        page(res, status, message);
      }),
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    redirectUri: `http://127.0.0.1:${port}/callback`,
    next(expectedState, timeoutMs, signal) {
      wantedState = expectedState;
      return new Promise<Callback>((resolve, reject) => {
        const timer = setTimeout(() => reject(Object.assign(new Error('timed out'), { name: 'LoginTimeoutError' })), timeoutMs);
        signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
        deliver = (callback) => {
          clearTimeout(timer);
          resolve(callback);
        };
      });
    },
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    }),
  };
}
