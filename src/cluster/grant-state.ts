/**
 * The one check every adapter makes before it mints or binds anything for a grant.
 */
import type { Grant } from '../policy/types.js';
import { ClusterError, ClusterErrorCode } from './errors.js';

/**
 * Refuses grants that are not active or have run out; returns the grant's expiry (epoch ms).
 * @throws ClusterError KGATE_CLUSTER_GRANT_ENDED
 */
export function assertActive(grant: Pick<Grant, 'id' | 'state' | 'expiresAt'>, now: number): number {
  if (grant.state !== 'active' || grant.expiresAt === undefined || grant.expiresAt <= now) {
    const why = grant.state === 'active' ? 'expired' : grant.state;
    throw new ClusterError(ClusterErrorCode.GrantEnded, `Grant ${grant.id} is not active (${why})`, {
      suggestions: ['Request a new grant: kgate grants request.'],
    });
  }
  return grant.expiresAt;
}
