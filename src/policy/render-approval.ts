/**
 * Plain-text rendering of one approval for the people who decide it: a held request exactly as it
 * will be forwarded, each exec argument on its own line, the body (a JSON body re-indented), and
 * every match of a secret detector marked — reverse video on a terminal, `[[…]]` elsewhere.
 * Characters a terminal would hide or act on (control characters, bidirectional overrides,
 * zero-width characters) are shown as `\u{…}` escapes, so a command cannot look like another one.
 * Requesters and everyone else get the masked summary. Pure: returns lines, the command prints them.
 */
import type { ApprovalDetailView, ApprovalView, HighlightedText, PatchType } from './server/api.js';
import { table, time } from './render.js';

/** How highlights are drawn: ANSI reverse video on a terminal, `[[…]]` markers in plain text. */
export type HighlightStyle = 'ansi' | 'brackets';

const MARKS: Record<HighlightStyle, { open: string; close: string; escapeOpen: string; escapeClose: string }> = {
  ansi: { open: '\x1b[7m', close: '\x1b[27m', escapeOpen: '\x1b[4m', escapeClose: '\x1b[24m' },
  brackets: { open: '[[', close: ']]', escapeOpen: '', escapeClose: '' },
};

// C0/C1 controls, format characters (bidi overrides and isolates, zero-width joiners, BOM), line and
// paragraph separators: each shown as an escape. Tab and newline only where `keepLayout` allows.
const HIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

/** The highlight style for a stream: reverse video on a colour-capable terminal, markers otherwise. */
export function highlightStyle(stream: { isTTY?: boolean }, env: Record<string, string | undefined> = process.env): HighlightStyle {
  return stream.isTTY && env.NO_COLOR === undefined && env.TERM !== 'dumb' ? 'ansi' : 'brackets';
}

/**
 * `t` with its highlights marked and hidden characters escaped. With `keepLayout`, newlines and
 * tabs stay as they are (a body); otherwise they are escaped too (an argument, a table cell).
 */
export function markHighlights(t: HighlightedText, style: HighlightStyle, options: { keepLayout?: boolean } = {}): string {
  const marks = MARKS[style];
  const spans = [...t.highlights].sort((a, b) => a.start - b.start);
  let out = '';
  let next = 0;
  let openEnd = -1;
  let offset = 0;
  for (const ch of t.text) {
    if (openEnd >= 0 && offset >= openEnd) {
      out += marks.close;
      openEnd = -1;
    }
    while (next < spans.length && spans[next]!.end <= offset) next++;
    if (openEnd < 0 && next < spans.length && spans[next]!.start <= offset) {
      out += marks.open;
      openEnd = spans[next]!.end;
      next++;
    }
    const kept = options.keepLayout && (ch === '\n' || ch === '\t');
    if (!kept && HIDDEN.test(ch)) {
      const escape = `\\u{${ch.codePointAt(0)!.toString(16)}}`;
      // Inside a highlight the escape keeps the highlight's own style; elsewhere it gets one of its own.
      out += openEnd >= 0 ? escape : `${marks.escapeOpen}${escape}${marks.escapeClose}`;
    } else {
      out += ch;
    }
    offset += ch.length;
  }
  if (openEnd >= 0) out += marks.close;
  return out;
}

const PATCH_NAMES: Record<PatchType, string> = {
  json: 'JSON patch (RFC 6902)',
  merge: 'JSON merge patch (RFC 7386)',
  strategic: 'strategic merge patch',
  apply: 'server-side apply',
};

function hasHighlights(d: ApprovalDetailView): boolean {
  const texts = [d.url, ...(d.command ?? []), ...(d.options ?? []).map((o) => o.value), ...(d.body?.text ? [d.body.text] : []), ...(d.body?.pretty ? [d.body.pretty] : [])];
  return texts.some((t) => t.highlights.length > 0);
}

function detectorsIn(d: ApprovalDetailView): string[] {
  const texts = [d.url, ...(d.command ?? []), ...(d.options ?? []).map((o) => o.value), ...(d.body?.text ? [d.body.text] : [])];
  return [...new Set(texts.flatMap((t) => t.highlights.map((h) => h.detector)))];
}

function targetLine(d: ApprovalDetailView): string {
  const t = d.target;
  const what = t.resource ? `${t.resource}${t.subresource ? `/${t.subresource}` : ''}${t.apiGroup ? `.${t.apiGroup}` : ''}` : t.path;
  const parts = [`${t.verb} ${what}`];
  if (t.name) parts.push(t.name);
  if (t.namespace) parts.push(`in namespace ${t.namespace}`);
  parts.push(`of cluster ${t.cluster}`);
  if (t.container !== undefined) parts.push(`(container ${t.container})`);
  return parts.join(' ');
}

/** The lines showing a held request to an approver, everything in full with highlights marked. */
export function heldRequestLines(d: ApprovalDetailView, style: HighlightStyle): string[] {
  const lines = [`Target:     ${markHighlights({ text: targetLine(d), highlights: [] }, style)}`];
  if (d.command) {
    lines.push(`Command:    ${d.command.length} argument${d.command.length === 1 ? '' : 's'}, each exactly as it will run:`);
    d.command.forEach((arg, i) => lines.push(`  [${i}] ${markHighlights(arg, style)}`));
  }
  if (d.options?.length) lines.push(`Options:    ${d.options.map((o) => `${markHighlights({ text: o.name, highlights: [] }, style)}=${markHighlights(o.value, style)}`).join(' ')}`);
  lines.push(`Request:    ${d.method} ${markHighlights(d.url, style)}`);
  if (d.body) {
    const type = d.body.contentType ? ` of ${markHighlights({ text: d.body.contentType, highlights: [] }, style)}` : '';
    const patch = d.body.patchType ? ` (${PATCH_NAMES[d.body.patchType]})` : '';
    const shown = d.body.pretty ?? d.body.text;
    if (!shown) {
      lines.push(`Body:       ${d.body.bytes} bytes${type}${patch}; see it with kgate approvals show`);
    } else {
      lines.push(`Body:       ${d.body.bytes} bytes${type}${patch}${d.body.pretty ? ', re-indented (every token as sent; --json has the exact bytes):' : ', exactly as sent:'}`);
      for (const line of markHighlights(shown, style, { keepLayout: true }).split('\n')) lines.push(`  ${line}`);
    }
  }
  lines.push(`Digest:     ${d.digest} (the approval lets through only this exact request)`);
  if (hasHighlights(d)) {
    const marked = style === 'ansi' ? 'In reverse video' : 'Between [[ and ]]';
    lines.push(`${marked}: what secret detectors matched (${detectorsIn(d).join(', ')}), shown in full to approvers only; others see it masked.`);
  }
  return lines;
}

/** The masked summary of a held request, for its requester and anyone who may not decide it. */
function summaryLines(a: ApprovalView): string[] {
  const r = a.request;
  if (!r) return [];
  const where = `${r.verb} ${r.resource ? `${r.resource}${r.subresource ? `/${r.subresource}` : ''}` : r.path}${r.name ? ` ${r.name}` : ''}${r.namespace ? ` in namespace ${r.namespace}` : ''} of cluster ${a.cluster}${r.container !== undefined ? ` (container ${r.container})` : ''}`;
  const lines = [`Target:     ${markHighlights({ text: where, highlights: [] }, 'brackets')}`];
  if (r.command?.length) lines.push(`Command:    ${markHighlights({ text: r.command.join(' '), highlights: [] }, 'brackets')} (secrets masked)`);
  lines.push(`Digest:     ${r.digest}`);
  if (a.state === 'pending') lines.push('The full request is shown to the people who may decide it.');
  return lines;
}

/** Everything about one approval, for `kgate approvals show`. */
export function approvalDetailLines(a: ApprovalView, style: HighlightStyle): string[] {
  const approvals = a.votes.filter((v) => v.decision === 'approve').length;
  const lines = [
    `Approval ${a.id} is ${a.state}: ${a.kind === 'grant' ? `grant ${a.grantId ?? '?'}` : 'a held request'}; ${approvals} of ${a.rule.count} approvals from ${a.rule.groups.join(' or ')}`,
    `Requester:  ${a.requester.name} (${a.requester.type}, ${a.requester.id})`,
  ];
  if (a.request) lines.push(`Rule:       ${a.request.ruleName}: ${a.request.message}`);
  lines.push(...(a.detail ? heldRequestLines(a.detail, style) : summaryLines(a)));
  lines.push(`Created:    ${time(a.createdAt)}`, `Expires:    ${time(a.expiresAt)}`);
  for (const v of a.votes) lines.push(`Vote:       ${v.decision} by ${v.approver.name} at ${time(v.at)}${v.reason ? `: ${v.reason}` : ''}`);
  return lines;
}

/** The WHAT cell of an approvals table row: in full with highlights for approvers, else masked. */
export function approvalWhat(a: ApprovalView, style: HighlightStyle): string {
  if (a.kind === 'grant') return `grant ${a.grantId ?? '?'}`;
  const d = a.detail;
  if (d) {
    const target = `${d.target.verb} ${d.target.path}`;
    const command = d.command ? ` -- ${d.command.map((arg) => markHighlights(arg, style)).join(' ')}` : '';
    const body = d.body ? ` (body ${d.body.bytes} bytes${d.body.patchType ? `, ${d.body.patchType} patch` : ''})` : '';
    return `${markHighlights({ text: target, highlights: [] }, style)}${command}${body}`;
  }
  const r = a.request;
  if (!r) return '-';
  return markHighlights({ text: `${r.verb} ${r.path}${r.command ? ` -- ${r.command.join(' ')}` : ''}`, highlights: [] }, 'brackets');
}

/** The approvals table of `kgate approvals list`; WHAT in full for approvers (see approvalWhat). */
export function approvalRows(approvals: ApprovalView[], style: HighlightStyle): string[] {
  return table(
    ['ID', 'STATE', 'KIND', 'REQUESTER', 'CLUSTER', 'WHAT', 'VOTES', 'EXPIRES'],
    approvals.map((a) => [a.id, a.state, a.kind, a.requester.name, a.cluster, approvalWhat(a, style), `${a.votes.filter((v) => v.decision === 'approve').length}/${a.rule.count}`, time(a.expiresAt)]),
  );
}
