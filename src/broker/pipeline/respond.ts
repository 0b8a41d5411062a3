/**
 * Stage 7: the response headers the client sees. Only headers that describe the body or the
 * apiserver's view of the request are copied; Content-Length is dropped when the body was
 * rewritten, and the masking Warning is added when the count is known before the headers
 * (buffered objects). For streams (lists, watches, logs) the count is known only at the end,
 * after the headers are gone: a list or watch of Secrets says up front that their values are
 * masked, and the audit record has the count.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { maskingWarningHeader, quoteWarnText } from '../../mask/warning.js';

const COPIED = ['content-type', 'cache-control', 'warning', 'retry-after', 'x-content-type-options', 'x-kubernetes-pf-flowschema-uid', 'x-kubernetes-pf-prioritylevel-uid', 'etag', 'last-modified', 'date'];

/** Options of {@link responseHeaders}. */
export interface ResponseHeaderOptions {
  auditId: string;
  /** The body was passed through byte for byte (so the upstream Content-Length still holds). */
  unchanged: boolean;
  /** Values masked, when known before the headers. */
  maskedCount?: number;
  /** A streamed list or watch of Secrets, whose values are masked as they pass. */
  secretsStream?: boolean;
}

const SECRETS_STREAM_WARNING = `299 - ${quoteWarnText('kgate masks the values of the Secrets in this response')}`;

/** The client-facing response headers. */
export function responseHeaders(upstream: IncomingHttpHeaders | Record<string, string | string[] | undefined>, opts: ResponseHeaderOptions): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const name of COPIED) {
    const value = upstream[name];
    if (value !== undefined) out[name] = value;
  }
  const length = upstream['content-length'];
  if (opts.unchanged && typeof length === 'string') out['content-length'] = length;
  out['audit-id'] = opts.auditId;
  const warning = opts.secretsStream ? SECRETS_STREAM_WARNING : maskingWarningHeader(opts.maskedCount ?? 0);
  if (warning) out['warning'] = [...[out['warning'] ?? []].flat(), warning];
  return out;
}
