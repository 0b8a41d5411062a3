/**
 * The HTTPS plumbing STS and EKS share: a loopback listener on an ephemeral port with the sim's
 * server certificate, bounded body reading, and the wire view of a request the SigV4 verifier
 * needs.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SimTls } from '../tls.js';
import type { AwsCounters } from './counters.js';
import type { Directory } from './iam.js';
import { pairRawHeaders, splitTarget, type WireRequest } from './sigv4.js';

const MAX_BODY_BYTES = 1024 * 1024;

/** What every simulated AWS endpoint is started with: one account's directory, clock and log. */
export interface AwsEndpointOptions {
  tls: SimTls;
  directory: Directory;
  region: string;
  now: () => number;
  log: (line: string) => void;
  counters: AwsCounters;
}

/** A started HTTPS endpoint. */
export interface Endpoint {
  url: string;
  close(): Promise<void>;
}

/** Thrown when a body exceeds the limit; callers answer with their protocol's error. */
export class BodyTooLarge extends Error {}

/** Starts an HTTPS server on 127.0.0.1, port 0, answering every request with `handle`. */
export async function listenHttps(
  tls: SimTls,
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  onCrash: (err: unknown) => void,
): Promise<Endpoint> {
  const server: Server = createServer({ cert: tls.server.cert, key: tls.server.key }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      onCrash(err);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

/** Reads the whole body, refusing more than 1 MiB. */
export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLarge('request body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** The request as the SigV4 verifier sees it. */
export function wireRequest(req: IncomingMessage, body: Buffer): WireRequest {
  return { method: req.method ?? 'GET', ...splitTarget(req.url ?? '/'), headers: pairRawHeaders(req.rawHeaders), body };
}
