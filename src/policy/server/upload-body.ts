/**
 * Reads an upload (an audit batch, a recording) against a size cap and the caller's byte budget,
 * counting the bytes as they arrive: a Content-Length is only used to refuse early, never
 * trusted, so a chunked body or one that lies about its length meets the same limits. Nothing past
 * the first byte over either limit is kept; the refusal is answered at once.
 */
import type { IncomingMessage } from 'node:http';
import type { ByteBudget, Charge } from './byte-budget.js';
import { ApiError } from './errors.js';
import { formatBytes, tooManyRequests } from './limits.js';

/** A body read within its limits, and the budget charge to give back if it is not kept. */
export interface BudgetedBody {
  data: Buffer;
  refund(): void;
}

export interface BudgetedRead {
  maxBytes: number;
  budget: ByteBudget;
  /** Whose budget: a principal id. */
  key: string;
  /** What is uploaded, for messages: `recordings`, `audit events`. */
  what: string;
  /** The budget window in words: `hour`, `15 minutes`. */
  window: string;
}

/**
 * Reads the body of `req`: 413 past `maxBytes`, 429 (with Retry-After) past the budget. On
 * either, or when the client breaks off, nothing stays charged.
 */
export function readBudgeted(req: IncomingMessage, opts: BudgetedRead): Promise<BudgetedBody> {
  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  if (declared > opts.maxBytes) return Promise.reject(refuse(req, tooLarge(opts)));
  if (declared > 0 && opts.budget.waitFor(opts.key, declared) > 0) return Promise.reject(refuse(req, overBudget(opts, declared)));
  return new Promise((resolve, reject) => {
    const charges: Charge[] = [];
    const refund = () => charges.forEach((c) => c.refund());
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      refund();
      reject(error instanceof ApiError ? refuse(req, error) : error);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > opts.maxBytes) return fail(tooLarge(opts));
      const charge = opts.budget.charge(opts.key, chunk.length);
      if (!charge) {
        refund();
        return fail(overBudget(opts, size));
      }
      charges.push(charge);
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => {
      if (settled) return;
      settled = true;
      resolve({ data: Buffer.concat(chunks), refund });
    });
    req.once('error', fail);
    req.once('close', () => fail(new Error('the client went away before the body ended')));
  });
}

/** How long, and how much more of a refused body, is read and dropped before the connection is cut. */
const LINGER_MS = 2000;
const LINGER_BYTES = 8 * 1024 * 1024;

/**
 * Refuses without reading on: the answer goes out at once, and what the client still sends is
 * dropped for a short while before the connection is cut, so a client busy sending reads the answer
 * (closing a connection with unread data makes the kernel reset it, and the answer may be lost).
 */
function refuse(req: IncomingMessage, error: ApiError): ApiError {
  const { socket } = req;
  let dropped = 0;
  const cut = () => socket.destroy();
  const timer = setTimeout(cut, LINGER_MS).unref();
  req.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > LINGER_BYTES) cut();
  });
  req.once('end', () => clearTimeout(timer));
  req.once('close', () => clearTimeout(timer));
  req.resume();
  return error;
}

function tooLarge(opts: BudgetedRead): ApiError {
  return new ApiError(413, 'body_too_large', `The body is larger than the ${formatBytes(opts.maxBytes)} this endpoint accepts`);
}

function overBudget(opts: BudgetedRead, bytes: number): ApiError {
  const used = opts.budget.used(opts.key);
  return tooManyRequests(
    `You have sent ${formatBytes(used)} of ${opts.what} in the last ${opts.window}; ${formatBytes(bytes)} more would pass your limit of ${formatBytes(opts.budget.limit)} per ${opts.window}`,
    'upload_budget_exceeded',
    opts.budget.waitFor(opts.key, bytes),
  );
}
