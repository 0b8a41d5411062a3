/**
 * Plain-text rendering of grants, approvals and audit events for the people-facing commands.
 * Pure: returns lines, the command prints them.
 */
import type { ApprovalView, GrantView } from './server/api.js';

/** The width a cell takes on a terminal: ANSI styling (highlights) takes none. */
function visibleWidth(cell: string): number {
  // eslint-disable-next-line no-control-regex -- ESC starts the SGR sequences highlights use
  return cell.replace(/\x1b\[[0-9;]*m/g, '').length;
}

/** Left-aligned columns separated by two spaces, with a header row. */
export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => visibleWidth(r[i] ?? ''))));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(Math.max(0, widths[i]! - visibleWidth(c))))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}

export function time(ms: number | undefined): string {
  return ms === undefined ? '-' : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `1h 05m`, `4m 09s`, `42s`, or `expired`. */
export function formatRemaining(ms: number): string {
  if (!(ms > 0)) return 'expired';
  const seconds = Math.floor(ms / 1000);
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m ${String(s).padStart(2, '0')}s`;
  return `${s}s`;
}

export function namespacesOf(g: Pick<GrantView, 'namespaces'>): string {
  return g.namespaces.includes('*') ? '(all)' : g.namespaces.join(',');
}

/** One sentence describing where a grant stands. */
export function describeGrant(g: GrantView): string {
  const what = `ClusterRole ${g.clusterRole} in ${g.namespaces.includes('*') ? 'all namespaces' : `namespace${g.namespaces.length > 1 ? 's' : ''} ${g.namespaces.join(', ')}`} of ${g.cluster}`;
  switch (g.state) {
    case 'active':
      return `Grant ${g.id} is active: ${what} until ${time(g.expiresAt)}${g.breakGlass ? ' (break-glass, audited)' : ''}`;
    case 'pending':
      return `Grant ${g.id} is pending${g.approvalId ? ` approval ${g.approvalId}` : ''}: ${g.approval ? `needs ${g.approval.count} approval${g.approval.count > 1 ? 's' : ''} from ${g.approval.groups.join(' or ')}` : 'activation'} (${what})`;
    default:
      return `Grant ${g.id} is ${g.state}${g.message ? `: ${g.message}` : ''}`;
  }
}

export function grantRows(grants: GrantView[]): string[] {
  return table(
    ['ID', 'STATE', 'CLUSTER', 'GRANT', 'ROLE', 'NAMESPACES', 'OWNER', 'EXPIRES'],
    grants.map((g) => [g.id, g.state, g.cluster, g.template, g.clusterRole, namespacesOf(g), g.principal.name, time(g.expiresAt)]),
  );
}

export function grantDetails(g: GrantView): string[] {
  const lines = [
    describeGrant(g),
    `Owner:      ${g.principal.name} (${g.principal.type}, ${g.principal.id})`,
    `Template:   ${g.template}`,
    `TTL:        ${Math.round(g.ttlMs / 1000)}s`,
    `Created:    ${time(g.createdAt)}`,
  ];
  if (g.activatedAt) lines.push(`Activated:  ${time(g.activatedAt)}`);
  if (g.expiresAt) lines.push(`Expires:    ${time(g.expiresAt)}`);
  if (g.endedAt) lines.push(`Ended:      ${time(g.endedAt)}${g.endedBy ? ` by ${g.endedBy}` : ''}`);
  if (g.reason) lines.push(`Reason:     ${g.reason}`);
  return lines;
}

/** One sentence about an approval after a vote. */
export function describeApproval(a: ApprovalView): string {
  const approvals = a.votes.filter((v) => v.decision === 'approve').length;
  if (a.state === 'pending') return `Approval ${a.id} has ${approvals} of ${a.rule.count} approvals; waiting for more from ${a.rule.groups.join(' or ')}`;
  return `Approval ${a.id} is ${a.state}${a.kind === 'grant' && a.grantId ? ` (grant ${a.grantId})` : ''}`;
}

export function auditRows(events: Record<string, unknown>[]): string[] {
  const text = (v: unknown) => (typeof v === 'string' ? v : '-');
  return table(
    ['TIME', 'PRINCIPAL', 'VERB', 'RESOURCE', 'NAMESPACE', 'NAME', 'DECISION', 'CODE', 'GRANT'],
    events.map((e) => {
      const ref = (e.objectRef ?? {}) as Record<string, unknown>;
      const ann = (e.annotations ?? {}) as Record<string, unknown>;
      const resource = ref.subresource ? `${text(ref.resource)}/${text(ref.subresource)}` : text(ref.resource);
      // A long-running request (watch, exec) has a ResponseStarted event besides its final one.
      const code = (e.responseStatus as { code?: unknown } | undefined)?.code;
      const status = `${typeof code === 'number' ? code : '-'}${e.stage === 'ResponseStarted' ? ' started' : ''}`;
      return [text(e.stageTimestamp ?? e.requestReceivedTimestamp), text(ann['kgate.dev/principal']), text(e.verb), resource, text(ref.namespace), text(ref.name), text(ann['kgate.dev/decision']), status, text(ann['kgate.dev/grant'])];
    }),
  );
}
