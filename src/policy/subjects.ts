/**
 * Who a subject matcher admits. A matcher is an AND of the fields it sets (groups, client ids,
 * issuer, claims, principals); within one field any entry may match. An empty matcher admits no
 * one — validation refuses it, and the evaluator fails closed if one slips through.
 */
import { globMatch } from './glob.js';
import { principalId, type Principal, type SubjectMatcher } from './types.js';

/**
 * A claim by name: the name as given (`repository`), else a path through nested objects
 * (`kubernetes.io.namespace` for a ServiceAccount token's `{"kubernetes.io": {"namespace": …}}`).
 */
export function claimValue(claims: Readonly<Record<string, unknown>>, name: string): unknown {
  if (Object.hasOwn(claims, name)) return claims[name];
  for (let dot = name.indexOf('.'); dot > 0; dot = name.indexOf('.', dot + 1)) {
    const head = claims[name.slice(0, dot)];
    if (head !== null && typeof head === 'object' && !Array.isArray(head)) {
      const found = claimValue(head as Record<string, unknown>, name.slice(dot + 1));
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

function claimMatches(value: unknown, pattern: string): boolean {
  if (Array.isArray(value)) return value.some((v) => claimMatches(v, pattern));
  if (typeof value === 'string') return globMatch(pattern, value);
  if (typeof value === 'number' || typeof value === 'boolean') return globMatch(pattern, String(value));
  return false;
}

/** Whether the principal satisfies every field the matcher sets. */
export function matchesSubject(m: SubjectMatcher, p: Principal): boolean {
  let constrained = false;
  if (m.groups) {
    constrained = true;
    if (!m.groups.some((g) => p.groups.includes(g))) return false;
  }
  if (m.clientIds) {
    constrained = true;
    if (p.clientId === undefined || !m.clientIds.includes(p.clientId)) return false;
  }
  if (m.issuer !== undefined) {
    constrained = true;
    if (m.issuer !== p.issuer) return false;
  }
  if (m.claims) {
    constrained = true;
    for (const [name, pattern] of Object.entries(m.claims)) {
      if (!claimMatches(claimValue(p.claims, name), pattern)) return false;
    }
  }
  if (m.principals) {
    constrained = true;
    const id = principalId(p);
    if (!m.principals.some((x) => x === id || x === p.name)) return false;
  }
  return constrained;
}

/** Whether any matcher admits the principal. */
export function matchesAnySubject(matchers: readonly SubjectMatcher[], p: Principal): boolean {
  return matchers.some((m) => matchesSubject(m, p));
}
