/**
 * Stage 6b: the response body through its masker to the client. Streams are masked chunk by
 * chunk with backpressure; single objects are buffered up to a cap. Whatever cannot be masked
 * never reaches the client: before the headers it becomes a 502 Status, after them the client's
 * connection is reset; in both cases the upstream response is aborted. A response whose audit
 * record cannot be written is withheld the same way.
 */
import type { ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { badGateway, type StatusResponse } from '../../kube/status.js';
import { logEndLine, watchEndEvent } from '../../kube/stream-end.js';
import type { ChunkMasker } from '../../mask/chunk-masker.js';
import { maskJsonBody } from '../../mask/body.js';
import { MaskError, toMaskError } from '../../mask/errors.js';
import type { Masker } from '../../mask/object-masker.js';
import { createListStreamMasker } from '../../mask/stream-json.js';
import { createWatchStreamMasker } from '../../mask/stream-watch.js';
import type { KnownValueSet } from '../../mask/known-value-stream.js';
import { createPodOutputMasker } from '../../mask/pod-output.js';
import { streamsImmediately, type MaskPlan } from './mask-plan.js';
import { responseHeaders } from './respond.js';

/** How the response went. */
export interface Delivery {
  /** The status the client got; 0 when its connection was reset after the headers. */
  statusCode: number;
  maskedCount: number;
  /** Why the body was refused or broke off. */
  error?: string;
  maskFailed: boolean;
}

/** What {@link deliverResponse} needs. */
export interface DeliveryOptions {
  res: ServerResponse;
  response: Dispatcher.ResponseData;
  plan: MaskPlan;
  masker: Masker;
  auditId: string;
  maxBufferedBodyBytes: number;
  /** The response is a list or watch of Secrets with Secret masking on (announced in a Warning). */
  secretsStream?: boolean;
  /** The values of the Secrets a pod uses, masked exactly in its log (known-values.ts). */
  knownValues?: KnownValueSet;
  /**
   * Awaited with the delivery's facts just before the last byte is sent, so the audit event is
   * on disk before the client sees the response complete. Not called when a response fails.
   * Resolving with a Status withholds the response: the client gets that Status if the response
   * has not started, else a reset.
   */
  beforeEnd?: (delivery: Delivery) => Promise<StatusResponse | undefined>;
  /**
   * Aborted (with the reason as a string) when kgate ends a watch or followed log under way: the
   * stream stops reading the apiserver and closes with a last message in its own framing.
   */
  ending?: AbortSignal;
}

/** Sends a Status unless the response has started; then resets the connection instead. */
export function sendStatus(res: ServerResponse, status: StatusResponse, auditId?: string): number {
  if (res.headersSent) {
    res.destroy();
    return 0;
  }
  res.writeHead(status.code, { ...status.headers, ...(auditId ? { 'Audit-Id': auditId } : {}), 'Content-Length': Buffer.byteLength(status.body) });
  res.end(status.body);
  return status.code;
}

function chunkMasker(plan: MaskPlan, masker: Masker, knownValues: KnownValueSet | undefined): ChunkMasker {
  if (plan.kind === 'watch') return createWatchStreamMasker(masker);
  if (plan.kind === 'list') return createListStreamMasker(masker);
  return createPodOutputMasker(masker.detectors, knownValues);
}

// Resolves once the client can take more, or has gone away (then false).
function write(res: ServerResponse, chunk: Uint8Array): Promise<boolean> {
  if (res.destroyed) return Promise.resolve(false);
  if (res.write(chunk)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      res.off('drain', onDrain);
      res.off('close', onClose);
      resolve(ok);
    };
    const onDrain = () => done(true);
    const onClose = () => done(false);
    res.on('drain', onDrain);
    res.on('close', onClose);
  });
}

/** The audit record of the response could not be written: `refusal`, or a reset, instead of it. */
function withhold(opts: DeliveryOptions, delivery: Delivery, refusal: StatusResponse): Delivery {
  opts.response.body.destroy();
  return { ...delivery, statusCode: sendStatus(opts.res, refusal, opts.auditId), error: 'withheld: its audit record could not be written' };
}

function refuseBody(opts: DeliveryOptions, reason: string, maskedCount = 0): Delivery {
  opts.response.body.destroy();
  const statusCode = sendStatus(opts.res, badGateway(`kgate could not mask the apiserver's response, so it was withheld: ${reason}`), opts.auditId);
  return { statusCode, maskedCount, error: reason, maskFailed: true };
}

/** Any error from a masker, engine limits included, is a masking failure: refused and audited as one. */
function maskFailure(error: unknown): string {
  const failure = toMaskError(error);
  return `${failure.code}: ${failure.message}`;
}

/** A masker whose every failure is a MaskError, so a stream tells masking failures from upstream ones. */
function failingAsMaskError(masker: ChunkMasker): ChunkMasker {
  const guard = <T>(step: () => T): T => {
    try {
      return step();
    } catch (error) {
      throw toMaskError(error);
    }
  };
  return {
    write: (chunk) => guard(() => masker.write(chunk)),
    end: () => guard(() => masker.end()),
    get maskedCount() {
      return masker.maskedCount;
    },
  };
}

async function deliverObject(opts: DeliveryOptions): Promise<Delivery> {
  const { res, response } = opts;
  const parts: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > opts.maxBufferedBodyBytes) return refuseBody(opts, `the body is larger than ${opts.maxBufferedBodyBytes} bytes`);
      parts.push(chunk);
    }
  } catch (error) {
    return { statusCode: sendStatus(res, badGateway('the apiserver response broke off'), opts.auditId), maskedCount: 0, error: (error as Error).message, maskFailed: false };
  }
  const raw = Buffer.concat(parts);
  let body: string | Buffer = raw;
  let count = 0;
  if (raw.length > 0) {
    try {
      ({ body, count } = maskJsonBody(opts.masker, raw));
    } catch (error) {
      return refuseBody(opts, maskFailure(error));
    }
  }
  const headers = responseHeaders(response.headers, { auditId: opts.auditId, unchanged: false, maskedCount: count });
  const delivery: Delivery = { statusCode: response.statusCode, maskedCount: count, maskFailed: false };
  const withheld = await opts.beforeEnd?.(delivery);
  if (withheld) return withhold(opts, delivery, withheld);
  res.writeHead(response.statusCode, { ...headers, 'content-length': String(Buffer.byteLength(body)) });
  res.end(body);
  return delivery;
}

/**
 * Ends a watch or followed log kgate stopped: what the masker still holds (whole and masked, or
 * dropped), then the farewell in the stream's framing — a watch ERROR event, a `kgate:` log line.
 */
async function endStream(opts: DeliveryOptions, masker: ChunkMasker, atLineStart: boolean): Promise<Delivery> {
  const { res, response, plan } = opts;
  const why = String(opts.ending?.reason);
  let rest: Uint8Array = new Uint8Array(0);
  try {
    rest = masker.end();
  } catch {
    // A partial event or line cut off by the stop cannot be masked whole, so it is not sent.
  }
  const lineStart = rest.length > 0 ? rest[rest.length - 1] === 0x0a : atLineStart;
  const last = plan.kind === 'watch' ? watchEndEvent(why) : plan.kind === 'text' ? logEndLine(why, lineStart) : '';
  const delivery: Delivery = { statusCode: response.statusCode, maskedCount: masker.maskedCount, error: `ended by kgate: ${why}`, maskFailed: false };
  const withheld = await opts.beforeEnd?.(delivery);
  if (withheld) return withhold(opts, delivery, withheld);
  if (!res.destroyed && !res.writableEnded) res.end(Buffer.concat([rest, Buffer.from(last, 'utf8')]));
  return delivery;
}

async function deliverStream(opts: DeliveryOptions): Promise<Delivery> {
  const { res, response, ending } = opts;
  const masker = failingAsMaskError(chunkMasker(opts.plan, opts.masker, opts.knownValues));
  const start = () => {
    if (!res.headersSent) res.writeHead(response.statusCode, responseHeaders(response.headers, { auditId: opts.auditId, unchanged: false, secretsStream: opts.secretsStream === true && opts.plan.kind !== 'text' }));
  };
  if (streamsImmediately(opts.plan)) {
    start();
    res.flushHeaders();
  }
  const closed = () => res.destroyed || res.writableEnded;
  const stop = () => response.body.destroy();
  ending?.addEventListener('abort', stop, { once: true });
  // Whether the client's output so far ends a line, so a farewell line starts on its own.
  let atLineStart = true;
  try {
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      if (ending?.aborted) break;
      const out = masker.write(chunk);
      if (out.length === 0) continue;
      start();
      if (!(await write(res, out))) {
        response.body.destroy();
        return { statusCode: response.statusCode, maskedCount: masker.maskedCount, error: 'the client went away', maskFailed: false };
      }
      atLineStart = out[out.length - 1] === 0x0a;
    }
    if (ending?.aborted) return await endStream(opts, masker, atLineStart);
    const rest = masker.end();
    const delivery: Delivery = { statusCode: response.statusCode, maskedCount: masker.maskedCount, maskFailed: false };
    // Before start(): a body that was all buffered can still be withheld with a Status.
    const withheld = await opts.beforeEnd?.(delivery);
    if (withheld) return withhold(opts, delivery, withheld);
    start();
    if (!closed()) res.end(rest);
    return delivery;
  } catch (error) {
    if (error instanceof MaskError) return { ...refuseBody(opts, maskFailure(error), masker.maskedCount) };
    if (ending?.aborted) return endStream(opts, masker, atLineStart);
    response.body.destroy();
    const statusCode = sendStatus(res, badGateway('the apiserver response broke off'), opts.auditId);
    return { statusCode, maskedCount: masker.maskedCount, error: `upstream body failed (${(error as { code?: string }).code ?? (error as Error).message})`, maskFailed: false };
  } finally {
    ending?.removeEventListener('abort', stop);
  }
}

/** Masks and sends the apiserver's response per `plan`; never throws for body or mask failures. */
export async function deliverResponse(opts: DeliveryOptions): Promise<Delivery> {
  const { res, response, plan } = opts;
  switch (plan.kind) {
    case 'refuse':
      return refuseBody(opts, plan.reason);
    case 'none': {
      await response.body.dump();
      const delivery: Delivery = { statusCode: response.statusCode, maskedCount: 0, maskFailed: false };
      const withheld = await opts.beforeEnd?.(delivery);
      if (withheld) return withhold(opts, delivery, withheld);
      res.writeHead(response.statusCode, responseHeaders(response.headers, { auditId: opts.auditId, unchanged: true }));
      res.end();
      return delivery;
    }
    case 'object':
      return deliverObject(opts);
    default:
      return deliverStream(opts);
  }
}
