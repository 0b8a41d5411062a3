/**
 * Content negotiation for a masking proxy (docs/k8s-protocol.md §3): the broker can only read and mask JSON, so
 * it asks the apiserver for JSON while keeping the conversion target (`as`/`g`/`v`: Table,
 * PartialObjectMetadata, aggregated discovery) the client wanted. Clients decode by the response
 * Content-Type, so this is transparent to kubectl, client-go and client-node.
 */
import type { RequestInfo } from './request-info.js';

/** What a request body's Content-Type says it is. */
export type ContentKind =
  | 'json'
  | 'yaml'
  | 'protobuf'
  | 'cbor'
  | 'merge-patch'
  | 'strategic-merge-patch'
  | 'json-patch'
  | 'apply-patch+yaml'
  | 'apply-patch+cbor'
  | 'none'
  | 'other';

const CONTENT_KINDS: Readonly<Record<string, ContentKind>> = {
  'application/json': 'json',
  'application/yaml': 'yaml',
  'application/vnd.kubernetes.protobuf': 'protobuf',
  'application/cbor': 'cbor',
  'application/merge-patch+json': 'merge-patch',
  'application/strategic-merge-patch+json': 'strategic-merge-patch',
  'application/json-patch+json': 'json-patch',
  'application/apply-patch+yaml': 'apply-patch+yaml',
  'application/apply-patch+cbor': 'apply-patch+cbor',
};

/** Media types the apiserver can answer in that are not JSON; their clauses become JSON. */
const NON_JSON_SERVED = new Set(['application/vnd.kubernetes.protobuf', 'application/cbor', 'application/cbor-seq', 'application/yaml']);
/** Parameters that choose what is returned rather than how it is encoded. */
const CONVERSION_PARAMS = new Set(['as', 'g', 'v', 'profile', 'q']);

/** Classifies a Content-Type header by its media type (parameters ignored); `none` when absent. */
export function classifyContentType(contentType: string | undefined): ContentKind {
  if (contentType === undefined || contentType.trim() === '') return 'none';
  const mediaType = contentType.split(';')[0]!.trim().toLowerCase();
  return CONTENT_KINDS[mediaType] ?? 'other';
}

// Splits on `separator` outside double-quoted strings.
function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') quoted = !quoted;
    else if (ch === '\\' && quoted) i++;
    else if (ch === separator && !quoted) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

interface AcceptClause {
  type: string;
  params: [name: string, value: string][];
}

function parseClause(raw: string): AcceptClause | undefined {
  const [type = '', ...rawParams] = splitOutsideQuotes(raw, ';').map((s) => s.trim());
  if (!/^[a-z0-9!#$&^_.+*-]+\/[a-z0-9!#$&^_.+*-]+$/i.test(type)) return undefined;
  const params: [string, string][] = [];
  for (const p of rawParams) {
    const eq = p.indexOf('=');
    if (eq <= 0) continue;
    params.push([p.slice(0, eq).trim().toLowerCase(), p.slice(eq + 1).trim()]);
  }
  return { type: type.toLowerCase(), params };
}

function asJson(clause: AcceptClause): AcceptClause {
  const params = clause.params.filter(([name, value]) => CONVERSION_PARAMS.has(name) || (name === 'stream' && value === 'watch'));
  return { type: 'application/json', params };
}

function rewriteClause(clause: AcceptClause): AcceptClause | undefined {
  if (clause.type === 'application/json') {
    return { type: clause.type, params: clause.params.filter(([name, value]) => name !== 'stream' || value === 'watch') };
  }
  if (clause.type === '*/*' || clause.type === 'application/*') return clause;
  if (NON_JSON_SERVED.has(clause.type)) return asJson(clause);
  return undefined;
}

/**
 * Rewrites an Accept header clause by clause so the apiserver answers JSON: JSON clauses are kept
 * with their `as`/`g`/`v`/`profile` parameters, protobuf/CBOR/YAML clauses become JSON clauses
 * with the same conversion parameters, `*\/*` and `application/*` stay (JSON is the apiserver's
 * first choice), other types are dropped, duplicates removed; `stream=watch` survives only on JSON.
 * Never returns an empty header: the fallback is `application/json`.
 */
export function rewriteAccept(accept: string | undefined): string {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const raw of splitOutsideQuotes(accept ?? '', ',')) {
    const parsed = parseClause(raw.trim());
    const clause = parsed && rewriteClause(parsed);
    if (!clause) continue;
    const text = [clause.type, ...clause.params.map(([n, v]) => `${n}=${v}`)].join(';');
    if (seen.has(text)) continue;
    seen.add(text);
    out.push(text);
  }
  return out.length > 0 ? out.join(',') : 'application/json';
}

/** Whether the request is a watch (by query, `/watch/` prefix or a WebSocket-upgraded watch). */
export function isWatchRequest(info: Pick<RequestInfo, 'verb'>): boolean {
  return info.verb === 'watch';
}
