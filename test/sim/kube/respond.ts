/**
 * Response writing: content negotiation of the Accept header (media type plus the `as;g;v`
 * conversion target), metav1.Status errors, and gzip above the apiserver's 128 KiB threshold.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import { stringify as toYaml } from 'yaml';
import { StatusError } from './types.js';

/** gzip is applied only to bodies larger than this (apiserver defaultGzipThresholdBytes). */
export const GZIP_THRESHOLD_BYTES = 128 * 1024;

export type ConversionKind = 'Table' | 'PartialObjectMetadata' | 'PartialObjectMetadataList' | 'APIGroupDiscoveryList';

export interface ConversionTarget {
  kind: ConversionKind;
  group: string;
  version: string;
}

export interface Negotiated {
  format: 'json' | 'yaml';
  target?: ConversionTarget;
}

interface AcceptClause {
  type: string;
  params: Record<string, string>;
  q: number;
}

/** Splits an Accept header into media ranges with lower-cased parameter names, best q first. */
export function parseAccept(header: string | undefined): AcceptClause[] {
  if (!header || !header.trim()) return [{ type: '*/*', params: {}, q: 1 }];
  const clauses = header.split(',').map((raw, index) => {
    const [type = '', ...rest] = raw.split(';').map((s) => s.trim());
    const params: Record<string, string> = {};
    for (const p of rest) {
      const eq = p.indexOf('=');
      if (eq > 0) params[p.slice(0, eq).trim().toLowerCase()] = p.slice(eq + 1).trim().replace(/^"|"$/g, '');
    }
    const q = params.q === undefined ? 1 : Number(params.q);
    delete params.q;
    return { type: type.toLowerCase(), params, q: Number.isFinite(q) ? q : 0, index };
  });
  return clauses.filter((c) => c.type && c.q > 0).sort((a, b) => b.q - a.q || a.index - b.index);
}

/** The serializations the apiserver offers; protobuf is accepted but answered as JSON (clients decode by Content-Type). */
const MEDIA: Record<string, 'json' | 'yaml'> = {
  '*/*': 'json',
  'application/*': 'json',
  'application/json': 'json',
  'application/vnd.kubernetes.protobuf': 'json',
  'application/yaml': 'yaml',
};

const NOT_ACCEPTABLE = 'only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf';

/**
 * Picks the response format for an Accept header. `targets` says which `as=` conversions this
 * endpoint can produce; a clause asking for another is skipped. Throws 406 when nothing fits.
 */
export function negotiate(accept: string | undefined, targets: (t: ConversionTarget) => boolean = () => false): Negotiated {
  for (const clause of parseAccept(accept)) {
    const format = MEDIA[clause.type];
    if (!format) continue;
    if (clause.params.stream && clause.params.stream !== 'watch') continue;
    const as = clause.params.as;
    if (!as) return { format };
    const target: ConversionTarget = { kind: as as ConversionKind, group: clause.params.g ?? '', version: clause.params.v ?? '' };
    if (format === 'json' && targets(target)) return { format, target };
  }
  throw new StatusError(406, 'NotAcceptable', NOT_ACCEPTABLE);
}

/** Whether a target is a meta.k8s.io Table/PartialObjectMetadata conversion the apiserver serves (v1 or v1beta1). */
export function isMetaTarget(t: ConversionTarget, kinds: readonly ConversionKind[]): boolean {
  return kinds.includes(t.kind) && t.group === 'meta.k8s.io' && (t.version === 'v1' || t.version === 'v1beta1');
}

function acceptsGzip(req: IncomingMessage): boolean {
  const header = req.headers['accept-encoding'];
  return typeof header === 'string' && header.split(',').some((e) => e.trim().split(';')[0]!.trim().toLowerCase() === 'gzip');
}

/** Writes a complete body, gzip-compressed when the client allows it and the body is large. */
export function writeBody(req: IncomingMessage, res: ServerResponse, code: number, contentType: string, body: Buffer): void {
  let payload = body;
  if (payload.length > GZIP_THRESHOLD_BYTES && acceptsGzip(req)) {
    payload = gzipSync(payload);
    res.setHeader('Content-Encoding', 'gzip');
    res.setHeader('Vary', 'Accept-Encoding');
  }
  res.statusCode = code;
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', payload.length);
  res.end(payload);
}

/** Serializes an object in the negotiated format. */
export function writeObject(req: IncomingMessage, res: ServerResponse, code: number, object: unknown, negotiated: Negotiated = { format: 'json' }, contentType?: string): void {
  if (negotiated.format === 'yaml') {
    writeBody(req, res, code, 'application/yaml', Buffer.from(toYaml(object)));
    return;
  }
  writeBody(req, res, code, contentType ?? 'application/json', Buffer.from(JSON.stringify(object) + '\n'));
}

/** Writes a metav1.Status for an error (always JSON, like most clients expect). */
export function writeStatus(req: IncomingMessage, res: ServerResponse, error: StatusError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  writeBody(req, res, error.code, 'application/json', Buffer.from(JSON.stringify(error.toStatus()) + '\n'));
}

/** A metav1.Status success body (`{"status":"Success"}`) with optional details. */
export function successStatus(details?: Record<string, unknown>): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', ...(details ? { details } : {}) };
}

/** The apiserver's generic 404 for unknown paths. */
export function notFoundPath(): StatusError {
  return new StatusError(404, 'NotFound', 'the server could not find the requested resource', {});
}

/** 405 for a method the route does not serve. */
export function methodNotAllowed(): StatusError {
  return new StatusError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {});
}

/** errors.NewBadRequest. */
export function badRequest(message: string): StatusError {
  return new StatusError(400, 'BadRequest', message);
}

/** errors.NewInternalError. */
export function internalError(message: string): StatusError {
  return new StatusError(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] });
}

/** Authorization attributes needed to word a denial. */
export interface DeniedAttributes {
  user: { username: string };
  verb: string;
  resourceRequest: boolean;
  apiGroup: string;
  resource: string;
  subresource: string;
  namespace: string;
  name: string;
  path: string;
}

/** responsewriters.Forbidden: the 403 Status exactly as the apiserver words it. */
export function forbidden(a: DeniedAttributes, reason: string): StatusError {
  let message: string;
  if (!a.resourceRequest) message = `User "${a.user.username}" cannot ${a.verb} path "${a.path}"`;
  else {
    const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
    const scope = a.namespace ? `in the namespace "${a.namespace}"` : 'at the cluster scope';
    message = `User "${a.user.username}" cannot ${a.verb} resource "${resource}" in API group "${a.apiGroup}" ${scope}`;
  }
  if (reason) message = `${message}: ${reason}`;
  const qualified = a.resourceRequest && a.resource ? (a.apiGroup ? `${a.resource}.${a.apiGroup}` : a.resource) : '';
  const full = !qualified ? `forbidden: ${message}` : a.name ? `${qualified} "${a.name}" is forbidden: ${message}` : `${qualified} is forbidden: ${message}`;
  const details: { name?: string; group?: string; kind?: string } = {};
  if (a.resourceRequest && a.name) details.name = a.name;
  if (a.resourceRequest && a.apiGroup) details.group = a.apiGroup;
  if (a.resourceRequest && a.resource) details.kind = a.resource;
  return new StatusError(403, 'Forbidden', full, details);
}
