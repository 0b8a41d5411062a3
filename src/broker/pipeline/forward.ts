/**
 * Stage 5: the request goes to the apiserver through undici, body and response streamed. A 401
 * is retried once with a fresh token, but only when the body was empty or buffered (a streamed body
 * cannot be sent twice). Transport failures become 502/504 Status responses.
 */
import type { Readable } from 'node:stream';
import { Pool, type Dispatcher } from 'undici';
import { badGateway, gatewayTimeout, type StatusResponse } from '../../kube/status.js';
import type { TokenSource } from './token.js';

/** One request to forward. */
export interface UpstreamRequest {
  method: string;
  /** The canonical path and query. */
  url: string;
  /** Builds the headers for a token (called again on a retry). */
  headers: (token: string) => Record<string, string | string[]>;
  /** The request body; absent when the client sent none. */
  body?: Readable | Buffer;
}

/** The apiserver's response, or the Status to answer instead. */
export type ForwardResult =
  | { ok: true; response: Dispatcher.ResponseData }
  | { ok: false; refusal: StatusResponse; reason: string };

/** A connection pool to the apiserver. */
export interface Forwarder {
  forward(request: UpstreamRequest, signal: AbortSignal): Promise<ForwardResult>;
  close(): Promise<void>;
}

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

/** Maps a transport error to the Status a client should see; never includes a token. */
export function upstreamFailure(error: unknown): { refusal: StatusResponse; reason: string } {
  const code = (error as { code?: string }).code ?? (error as Error).name ?? 'error';
  if (TIMEOUT_CODES.has(code)) return { refusal: gatewayTimeout('the apiserver did not answer in time'), reason: code };
  return { refusal: badGateway(`the apiserver could not be reached or answered unusably (${code})`), reason: code };
}

// A streamed body is gone once sent; an absent or buffered one can be sent again.
function replayable(body: UpstreamRequest['body']): boolean {
  return body === undefined || Buffer.isBuffer(body);
}

/** Opens a pool to `url` that trusts `ca`; response bodies have no timeout, so watches last. */
export function createForwarder(url: string, ca: string, tokens: TokenSource, headersTimeoutMs = 60_000): Forwarder {
  const pool = new Pool(new URL(url).origin, { connect: { ca }, headersTimeout: headersTimeoutMs, bodyTimeout: 0 });
  const send = (request: UpstreamRequest, token: string, signal: AbortSignal) =>
    pool.request({ method: request.method as Dispatcher.HttpMethod, path: request.url, headers: request.headers(token), body: request.body ?? null, signal });
  return {
    async forward(request, signal) {
      try {
        let response = await send(request, await tokens.current(), signal);
        if (response.statusCode === 401 && replayable(request.body)) {
          await response.body.dump();
          response = await send(request, await tokens.refresh(), signal);
        }
        return { ok: true, response };
      } catch (error) {
        return { ok: false, ...upstreamFailure(error) };
      }
    },
    close: () => pool.close(),
  };
}
