/** Human lines for the broker's status (kgate broker status, kgate status). */
import type { BrokerStatus } from './protocol.js';

/** "12m 30s" style remaining time; "expired" when past. */
export function remaining(expiresAt: number, now = Date.now()): string {
  const s = Math.floor((expiresAt - now) / 1000);
  if (s <= 0) return 'expired';
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (h > 0) return `${h}h ${m}m`;
  return m > 0 ? `${m}m ${s % 60}s` : `${s}s`;
}

export function describeBroker(status: BrokerStatus | undefined, now = Date.now()): string[] {
  if (!status) return ['Broker: not running (kubectl contexts from `kgate kubeconfig add` start it on demand)'];
  const lines = [
    `Broker: running, pid ${status.pid}, serving ${status.url}, idle stop in ${remaining(status.idleStopAt, now)}`,
    `Audit spool: ${status.spool.pending} events waiting to ship (${status.spool.bytes} bytes)`,
  ];
  if (status.sessions.length === 0) lines.push('Sessions: none');
  for (const s of status.sessions) {
    lines.push(`Session: ${s.template} on ${s.cluster}, grant ${s.grantId}, ${s.state}${s.expiresAt ? `, ${remaining(s.expiresAt, now)} left` : ''}`);
  }
  return lines;
}
