/**
 * Reads an upload (an audit batch, a recording) against a size cap and the caller's byte budget,
 * counting the bytes as they arrive: a Content-Length is only used to refuse early, never
 * trusted, so a chunked body or one that lies about its length meets the same limits. Reading
 * stops at the first byte over either limit.
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
export async function readBudgeted(req: IncomingMessage, opts: BudgetedRead): Promise<BudgetedBody> {
  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  if (declared > opts.maxBytes) throw tooLarge(opts);
  if (declared > 0 && opts.budget.waitFor(opts.key, declared) > 0) throw overBudget(opts, declared);
  const charges: Charge[] = [];
  const refund = () => charges.forEach((c) => c.refund());
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      // The response closes the connection, so the client stops sending.
      if (size > opts.maxBytes) throw stop(req, tooLarge(opts));
      const charge = opts.budget.charge(opts.key, chunk.length);
      if (!charge) {
        refund();
        throw stop(req, overBudget(opts, size));
      }
      charges.push(charge);
      chunks.push(chunk);
    }
  } catch (error) {
    refund();
    throw error;
  }
  return { data: Buffer.concat(chunks), refund };
}

function stop(req: IncomingMessage, error: ApiError): ApiError {
  req.pause();
  return error;
}

function tooLarge(opts: BudgetedRead): ApiError {
  return new ApiError(413, 'body_too_large', `The body is larger than the ${formatBytes(opts.maxBytes)} this endpoint accepts`, { connection: 'close' });
}

function overBudget(opts: BudgetedRead, bytes: number): ApiError {
  const used = opts.budget.used(opts.key);
  const error = tooManyRequests(
    `You have sent ${formatBytes(used)} of ${opts.what} in the last ${opts.window}; ${formatBytes(bytes)} more would pass your limit of ${formatBytes(opts.budget.limit)} per ${opts.window}`,
    'upload_budget_exceeded',
    opts.budget.waitFor(opts.key, bytes),
  );
  return new ApiError(error.status, error.code, error.message, { ...error.headers, connection: 'close' });
}
