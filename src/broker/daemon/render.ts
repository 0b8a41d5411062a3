/** Human lines for the broker's status (kgate broker status, kgate status). */
import { formatRemaining } from '../../policy/render.js';
import type { BrokerStatus } from './protocol.js';

export function describeBroker(status: BrokerStatus | undefined, now = Date.now()): string[] {
  if (!status) return ['Broker: not running (kubectl contexts from `kgate kubeconfig add` start it on demand)'];
  const lines = [
    `Broker: running, pid ${status.pid}, serving ${status.url}, idle stop in ${formatRemaining(status.idleStopAt - now)}`,
    `Audit spool: ${status.spool.pending} events waiting to ship (${status.spool.bytes} bytes)`,
  ];
  if (status.sessions.length === 0) lines.push('Sessions: none');
  for (const s of status.sessions) {
    lines.push(`Session: ${s.template} on ${s.cluster}, grant ${s.grantId}, ${s.state}${s.expiresAt ? `, ${formatRemaining(s.expiresAt - now)} left` : ''}`);
  }
  return lines;
}
