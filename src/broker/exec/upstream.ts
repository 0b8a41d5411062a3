/**
 * Opens the broker's own WebSocket to the apiserver for one exec/attach session, with the grant's
 * credential and exactly the subprotocol already chosen for the client. A refusal (any non-101
 * answer) comes back as the apiserver's status and Status body so the relay can hand it to the
 * client unchanged.
 */
import type { IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import { badGateway, gatewayTimeout } from '../../kube/status.js';
import type { RawResponse as UpgradeRefusal } from '../raw-response.js';

/** Where and as whom the relay connects. */
export interface UpstreamTarget {
  /** The apiserver's https base URL, e.g. `https://127.0.0.1:6443`. */
  url: string;
  /** The grant's bearer token. */
  token: string;
  /** PEM CA bundle that signs the apiserver's certificate. */
  ca: string;
}

/** The result of the upstream handshake. */
export type UpstreamHandshake =
  | { ok: true; ws: WebSocket }
  | { ok: false; refusal: UpgradeRefusal; upstreamStatus?: number; reason: string };

/** Largest refusal body passed through; a Status is far smaller. */
const MAX_REFUSAL_BODY = 64 * 1024;
const HANDSHAKE_TIMEOUT_MS = 30_000;
/** Largest single message accepted from the apiserver; its frames carry at most 32 KiB of output. */
export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
/** Headers of an apiserver refusal worth keeping; the rest (cookies, hop-by-hop) are not the client's business. */
const PASSED_HEADERS = ['content-type', 'retry-after', 'x-content-type-options', 'warning'];

function websocketUrl(base: string, canonicalUrl: string): string {
  return base.replace(/^http(s?):/i, 'ws$1:').replace(/\/+$/, '') + canonicalUrl;
}

function readRefusal(res: IncomingMessage): Promise<UpstreamHandshake> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const code = res.statusCode ?? 502;
    const unusable = (why: string): UpstreamHandshake => ({ ok: false, refusal: badGateway(`the apiserver refused the session with an unusable response (${why})`), upstreamStatus: code, reason: why });
    res.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_REFUSAL_BODY) chunks.push(chunk);
    });
    res.on('error', () => resolve(unusable('the response body broke off')));
    res.on('end', () => {
      if (size > MAX_REFUSAL_BODY) return resolve(unusable('the response body is too large'));
      if (code < 400 || code > 599) return resolve(unusable(`HTTP ${code}`));
      const headers: Record<string, string> = {};
      for (const name of PASSED_HEADERS) {
        const value = res.headers[name];
        if (value !== undefined) headers[name.replace(/(^|-)\w/g, (c) => c.toUpperCase())] = Array.isArray(value) ? value.join(', ') : value;
      }
      resolve({ ok: false, refusal: { code, headers, body: Buffer.concat(chunks) }, upstreamStatus: code, reason: `the apiserver answered HTTP ${code}` });
    });
  });
}

/**
 * Connects to `canonicalUrl` on the apiserver offering only `protocol` ('' offers none). Resolves
 * once the session is open (paused: call `resume()` after attaching listeners) or refused; network and TLS failures become a 502 (or 504 on
 * timeout) Status for the client, worded without the token or any upstream detail beyond the
 * error code.
 */
export function openUpstream(target: UpstreamTarget, canonicalUrl: string, protocol: string, userAgent: string | undefined): Promise<UpstreamHandshake> {
  return new Promise((resolve) => {
    const ws = new WebSocket(websocketUrl(target.url, canonicalUrl), protocol ? [protocol] : [], {
      ca: target.ca,
      headers: { Authorization: `Bearer ${target.token}`, ...(userAgent ? { 'User-Agent': userAgent } : {}) },
      perMessageDeflate: false,
      followRedirects: false,
      handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
      maxPayload: MAX_MESSAGE_BYTES,
    });
    let settled = false;
    const settle = (result: UpstreamHandshake): void => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    ws.once('open', () => {
      // Nothing listens for messages yet: hold the readiness frame until the session resumes it.
      ws.pause();
      settle({ ok: true, ws });
    });
    ws.once('unexpected-response', (req, res) => {
      void readRefusal(res).then((result) => {
        req.destroy();
        settle(result);
      });
    });
    ws.on('error', (error: Error & { code?: string }) => {
      if (settled) return;
      const timedOut = /timeout/i.test(error.message);
      const why = error.code ?? (timedOut ? 'handshake timeout' : 'handshake failed');
      const refusal = timedOut ? gatewayTimeout('the apiserver did not answer the session handshake in time') : badGateway(`the apiserver could not be reached for the session (${why})`);
      settle({ ok: false, refusal, reason: `${why}: ${error.message}` });
    });
  });
}
