/**
 * Response helpers shared by the auth handlers: JSON bodies and Kubernetes Status errors, so a
 * handler never throws into the REST core.
 */
import type { ServerResponse } from 'node:http';
import { StatusError, type HandlerContext } from '../types.js';

/** Writes a JSON body with a status code. */
export function writeJson(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** A 400 BadRequest StatusError. */
export function badRequest(message: string): StatusError {
  return new StatusError(400, 'BadRequest', message);
}

/** A 422 Invalid StatusError for one field, worded like apimachinery's field.Invalid. */
export function invalidField(kind: string, group: string, name: string, field: string, value: unknown, detail: string): StatusError {
  const cause = `Invalid value: ${JSON.stringify(value)}: ${detail}`;
  const qualified = group ? `${kind}.${group}` : kind;
  return new StatusError(422, 'Invalid', `${qualified} ${JSON.stringify(name)} is invalid: ${field}: ${cause}`, {
    name,
    group,
    kind,
    causes: [{ reason: 'FieldValueInvalid', message: cause, field }],
  });
}

/**
 * Wraps a handler so a StatusError (or any other failure, as 500) becomes a Status response. Other
 * failures are logged, never sent with a stack trace.
 */
export function answeringErrors(handler: (ctx: HandlerContext) => Promise<void>, log: (line: string) => void = () => {}): (ctx: HandlerContext) => Promise<void> {
  return async (ctx) => {
    try {
      await handler(ctx);
    } catch (e) {
      const status = e instanceof StatusError ? e : new StatusError(500, 'InternalError', 'Internal error occurred: the simulated apiserver could not serve this request');
      if (!(e instanceof StatusError)) log(`auth handler ${ctx.info.path}: ${(e as Error).message}`);
      if (ctx.res.headersSent) ctx.res.end();
      else writeJson(ctx.res, status.code, status.toStatus());
    }
  };
}

/** The request body as a plain object, or a 400 naming the expected kind. */
export function requireBody(ctx: HandlerContext, kind: string): Record<string, unknown> & { metadata?: Record<string, unknown> } {
  const body = ctx.body as unknown;
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw badRequest(`the request body must be a ${kind} object`);
  }
  const given = (body as { kind?: unknown }).kind;
  if (given !== undefined && given !== '' && given !== kind) throw badRequest(`the request body kind ${JSON.stringify(given)} is not ${kind}`);
  return body as Record<string, unknown>;
}
