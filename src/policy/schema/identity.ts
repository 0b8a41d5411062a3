/** `spec.identity.issuers[]`: the OIDC issuers whose tokens the service trusts. */
import type { IssuerConfig } from '../types.js';
import { readUrl } from './fields.js';
import type { ValueReader } from './reader.js';

const ISSUER_FIELDS = ['issuer', 'audience', 'type', 'groupsClaim', 'principalClaim', 'workloadClients', 'jwksUri', 'caFile'];
const CLAIM = { pattern: /^[^\s]{1,128}$/, expected: 'a claim name like "groups"' };

/** Reads `identity: {issuers: [...]}`; returns the issuers with the reader of each. */
export function readIdentity(r: ValueReader): { issuer: IssuerConfig; at: ValueReader }[] {
  const m = r.map(['issuers']);
  if (!m) return [];
  const items = m.field('issuers').list() ?? [];
  const out: { issuer: IssuerConfig; at: ValueReader }[] = [];
  for (const item of items) {
    const issuer = readIssuer(item);
    if (issuer) out.push({ issuer, at: item });
  }
  return out;
}

/** Reads one trusted issuer; `type` defaults to human, claims to `groups` and `sub`. */
export function readIssuer(r: ValueReader): IssuerConfig | undefined {
  const m = r.map(ISSUER_FIELDS);
  if (!m) return undefined;
  const issuerField = m.field('issuer');
  issuerField.required();
  const audienceField = m.field('audience');
  audienceField.required();
  const config: IssuerConfig = {
    issuer: readUrl(issuerField) ?? '',
    audience: audienceField.string() ?? '',
    type: m.field('type').oneOf(['human', 'workload'] as const) ?? 'human',
    groupsClaim: m.field('groupsClaim').string(CLAIM) ?? 'groups',
    principalClaim: m.field('principalClaim').string(CLAIM) ?? 'sub',
    workloadClients: m.field('workloadClients').strings() ?? [],
  };
  const jwksUri = readUrl(m.field('jwksUri'));
  const caFile = m.field('caFile').string({ env: true });
  if (jwksUri) config.jwksUri = jwksUri;
  if (caFile) config.caFile = caFile;
  return config;
}
