/**
 * What a held request looks like to the people who decide it, and to everyone else. Approvers see
 * the request exactly as it will be forwarded — the target, each exec argument, the options, the
 * body (a patch pretty-printed, with its patch type) — with every match of a secret detector shown
 * in full and marked by a highlight range. Everyone else sees a summary with those matches masked.
 * Both are derived from the same canonical URL and bytes the gate forwards. Pure.
 */
import type { CanonicalRequest } from '../kube/canonical.js';
import { execCommand } from '../kube/classify.js';
import { requestInfo } from '../kube/request-info.js';
import { findSecretSpans, type Detector } from '../mask/detectors.js';
import { maskWords } from '../mask/request-uri.js';
import { bodyText, heldBody, heldRequestDigest, type HeldRequestDetail } from './held-request.js';
import type { Approval } from './types.js';

/** A secret detector's match in a text: `[start, end)` in UTF-16 code units (JavaScript string indices). */
export interface Highlight {
  start: number;
  end: number;
  detector: string;
}

/** A text exactly as forwarded, with the ranges a secret detector matched. */
export interface HighlightedText {
  text: string;
  highlights: Highlight[];
}

/** How a PATCH body is applied, from its Content-Type. */
export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

/** The body of a held write. */
export interface HeldBodyView {
  contentType?: string;
  bytes: number;
  patchType?: PatchType;
  /** The body exactly as forwarded (only in the single-approval view). */
  text?: HighlightedText;
  /** A JSON body re-indented, its tokens unchanged (duplicate keys, escapes and numbers as sent). */
  pretty?: HighlightedText;
}

/** The full request an approver decides, from `GET /v1/approvals/:id` (approvers only). */
export interface ApprovalDetailView {
  /** What the approval is bound to: `sha256:` over method, URL, Content-Type and body bytes. */
  digest: string;
  method: string;
  /** The request target forwarded upstream, exactly. */
  url: HighlightedText;
  target: {
    cluster: string;
    verb: string;
    path: string;
    apiGroup: string;
    apiVersion: string;
    namespace?: string;
    resource?: string;
    name?: string;
    subresource?: string;
    container?: string;
  };
  /** The exec argv, one entry per argument, exactly as it will run. */
  command?: HighlightedText[];
  /** The other query parameters (`stdin`, `tty`, `dryRun`, `fieldManager`, …), decoded, in order. */
  options?: { name: string; value: HighlightedText }[];
  body?: HeldBodyView;
}

/** The public summary of a held request, stored with the approval: its command masked. */
export type HeldRequestSummary = Omit<NonNullable<Approval['request']>, 'ruleName' | 'message'>;

const PATCH_TYPES: Readonly<Record<string, PatchType>> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
  'application/apply-patch+cbor': 'apply',
};

/** Largest pretty-printed body, so a deeply nested document cannot blow up into its indentation. */
const MAX_PRETTY_CHARS = 1024 * 1024;

function highlight(text: string, detectors: readonly Detector[]): HighlightedText {
  return { text, highlights: findSecretSpans(text, detectors).map(({ start, end, detector }) => ({ start, end, detector })) };
}

function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

/** The patch type of a PATCH request's Content-Type. */
export function patchTypeOf(method: string, contentType: string | undefined): PatchType | undefined {
  return method === 'PATCH' ? PATCH_TYPES[mediaType(contentType)] : undefined;
}

/**
 * `text` (valid JSON) re-indented by two spaces without parsing it into values: every token —
 * each string with its escapes, each number as written, a key given twice — stays as sent, so the
 * pretty form hides nothing the API server will read. Undefined when the result would pass `max`.
 */
export function reindentJson(text: string, max = MAX_PRETTY_CHARS): string | undefined {
  const parts: string[] = [];
  let size = 0;
  let depth = 0;
  const emit = (s: string): boolean => {
    parts.push(s);
    size += s.length;
    return size <= max;
  };
  const newline = () => emit(`\n${'  '.repeat(depth)}`);
  const isSpace = (c: string | undefined) => c === ' ' || c === '\t' || c === '\n' || c === '\r';
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (isSpace(c)) {
      i++;
      continue;
    }
    let ok: boolean;
    if (c === '"') {
      let end = i + 1;
      while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      ok = emit(text.slice(i, end + 1));
      i = end + 1;
    } else if (c === '{' || c === '[') {
      let next = i + 1;
      while (isSpace(text[next])) next++;
      if (text[next] === (c === '{' ? '}' : ']')) {
        ok = emit(c === '{' ? '{}' : '[]');
        i = next + 1;
      } else {
        depth++;
        ok = emit(c) && newline();
        i++;
      }
    } else if (c === '}' || c === ']') {
      depth--;
      ok = newline() && emit(c);
      i++;
    } else if (c === ',') {
      ok = emit(',') && newline();
      i++;
    } else if (c === ':') {
      ok = emit(': ');
      i++;
    } else {
      let end = i + 1;
      while (end < text.length && !isSpace(text[end]) && !',:]}'.includes(text[end]!)) end++;
      ok = emit(text.slice(i, end));
      i = end;
    }
    if (!ok) return undefined;
  }
  return parts.join('');
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    // Not JSON (an apply patch in YAML), or nested past the engine's limits: shown as sent only.
    return false;
  }
}

function bodyView(detail: HeldRequestDetail, detectors: readonly Detector[], withText: boolean): HeldBodyView | undefined {
  const body = heldBody(detail);
  if (body.length === 0) return undefined;
  const patchType = patchTypeOf(detail.method, detail.contentType);
  const view: HeldBodyView = {
    ...(detail.contentType !== undefined ? { contentType: detail.contentType } : {}),
    bytes: body.length,
    ...(patchType ? { patchType } : {}),
  };
  if (!withText) return view;
  // Held bodies are checked to be UTF-8 when the approval is opened (checkHeldRequest).
  const text = bodyText(body) ?? body.toString('utf8');
  view.text = highlight(text, detectors);
  const pretty = isJson(text) ? reindentJson(text) : undefined;
  if (pretty !== undefined) view.pretty = highlight(pretty, detectors);
  return view;
}

/**
 * The approver's view of a held request: everything exactly as forwarded, with detector matches
 * as highlight ranges. `withBody: false` leaves out the body's text (lists of approvals).
 */
export function approverView(cluster: string, detail: HeldRequestDetail, canonical: CanonicalRequest, detectors: readonly Detector[], options: { withBody: boolean }): ApprovalDetailView {
  const info = requestInfo(canonical);
  const command = info.subresource === 'exec' ? execCommand(canonical) : [];
  const container = canonical.query.get('container')?.[0];
  const options_ = canonical.queryPairs.filter(([key]) => key !== 'command' && key !== 'container');
  const body = bodyView(detail, detectors, options.withBody);
  return {
    digest: heldRequestDigest(detail),
    method: detail.method,
    url: highlight(detail.url, detectors),
    target: {
      cluster,
      verb: info.verb,
      path: info.path,
      apiGroup: info.apiGroup,
      apiVersion: info.apiVersion,
      ...(info.namespace ? { namespace: info.namespace } : {}),
      ...(info.resource ? { resource: info.resource } : {}),
      ...(info.name ? { name: info.name } : {}),
      ...(info.subresource ? { subresource: info.subresource } : {}),
      ...(container !== undefined ? { container } : {}),
    },
    ...(command.length ? { command: command.map((word) => highlight(word, detectors)) } : {}),
    ...(options_.length ? { options: options_.map(([name, value]) => ({ name, value: highlight(value, detectors) })) } : {}),
    ...(body ? { body } : {}),
  };
}

/** What everyone may see of a held request (the requester, lists, the audit trail): secrets masked. */
export function heldRequestSummary(detail: HeldRequestDetail, canonical: CanonicalRequest, detectors: readonly Detector[]): HeldRequestSummary {
  const info = requestInfo(canonical);
  const command = info.subresource === 'exec' ? maskWords(execCommand(canonical), detectors) : [];
  const container = canonical.query.get('container')?.[0];
  return {
    verb: info.verb,
    path: info.path,
    ...(info.namespace ? { namespace: info.namespace } : {}),
    ...(info.resource ? { resource: info.resource } : {}),
    ...(info.subresource ? { subresource: info.subresource } : {}),
    ...(info.name ? { name: info.name } : {}),
    ...(container !== undefined ? { container: maskWords([container], detectors)[0]! } : {}),
    ...(command.length ? { command } : {}),
    digest: heldRequestDigest(detail),
  };
}
