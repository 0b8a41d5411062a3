/**
 * Plain-text rendering of what a caller may ask for: clusters (`kgate clusters`) and grant
 * templates (`kgate templates`). Pure: returns lines, the command prints them.
 */
import { formatDuration } from './duration.js';
import { table } from './render.js';
import type { GrantTemplateView } from './server/api.js';

/** A cluster as `kgate clusters` shows it: the service's view plus where kubectl goes. */
export interface ClusterEntry {
  name: string;
  type: 'eks' | 'kubernetes';
  access: 'gateway' | 'broker';
  /**
   * The URL kubectl reaches it at through kgate: the gateway under the policy service, or the
   * local broker daemon; null for a broker cluster before the daemon's port is chosen.
   */
  endpoint: string | null;
  templates: string[];
}

export function clusterRows(clusters: ClusterEntry[]): string[] {
  return table(
    ['NAME', 'TYPE', 'ACCESS', 'ENDPOINT', 'TEMPLATES'],
    clusters.map((c) => [c.name, c.type, c.access, c.endpoint ?? '(local broker, started on first use)', c.templates.join(',')]),
  );
}

export function templateRows(templates: GrantTemplateView[]): string[] {
  return table(
    ['NAME', 'CLUSTERS', 'ROLE', 'NAMESPACES', 'APPROVAL', 'TTL', 'MAX TTL', 'REASON'],
    templates.map((t) => [
      t.name,
      t.clusters.join(','),
      t.clusterRole,
      t.namespaces.includes('*') ? '(all)' : t.namespaces.join(','),
      approvalOf(t),
      formatDuration(t.defaultTtlMs),
      formatDuration(t.maxTtlMs),
      t.reasonRequired ? 'required' : 'optional',
    ]),
  );
}

/** `none`, `1 of sre-leads`, `2 of sre-leads|security`, or `break-glass only`. */
function approvalOf(t: GrantTemplateView): string {
  if (t.breakGlassOnly) return 'break-glass only';
  if (!t.approval) return 'none';
  return `${t.approval.count} of ${t.approval.groups.join('|')}`;
}
