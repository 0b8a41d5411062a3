import type { Principal } from '../../types.js';

/**
 * The principal as stored: only the fields of `Principal`, so nothing else a caller's object
 * happens to carry (a raw token, say) reaches the file.
 */
export function principalJson(p: Principal): string {
  const stored: Principal = { issuer: p.issuer, subject: p.subject, clientId: p.clientId, name: p.name, type: p.type, groups: p.groups, claims: p.claims };
  return JSON.stringify(stored);
}
