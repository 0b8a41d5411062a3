import { gatewayTokenDigest, createGatewayToken, looksLikeGatewayToken } from '../../../../src/broker/gateway/gateway-token.js';
import { openSqliteStore } from '../../../../src/policy/store/sqlite.js';
import type { GatewayCredentialRecord, PolicyStore } from '../../../../src/policy/store/types.js';
import { T0, approval, grant, person, vote } from './fixtures.js';

function credential(id: string, grantId: string, overrides: Partial<GatewayCredentialRecord> = {}): GatewayCredentialRecord {
  return { id, tokenSha256: gatewayTokenDigest(`kgate-gw.${id}`), grantId, cluster: 'prod', principal: 'idp#alice', purpose: 'run', createdAt: T0, expiresAt: T0 + 60_000, ...overrides };
}

describe('gateway credentials in the SQLite store', () => {
  let store: PolicyStore;
  beforeEach(async () => {
    store = openSqliteStore(':memory:');
    await store.createGrant(grant('g1'));
    await store.createGrant(grant('g2'));
  });
  afterEach(async () => {
    await store.close();
  });

  test('found by the digest of their token, never by the token itself', async () => {
    const stored = await store.createGatewayCredential(credential('c1', 'g1'));
    expect(await store.gatewayCredentialByToken(gatewayTokenDigest('kgate-gw.c1'))).toEqual(stored);
    expect(await store.gatewayCredentialByToken('kgate-gw.c1')).toBeUndefined();
    expect(await store.getGatewayCredential('c1')).toEqual(stored);
    await expect(store.createGatewayCredential(credential('c1', 'g1'))).rejects.toMatchObject({ code: 'KGATE_STORE_CONFLICT' });
    await expect(store.createGatewayCredential(credential('c9', 'ghost'))).rejects.toMatchObject({ code: 'KGATE_STORE_INVALID' });
  });

  test('revoked one by one or all of a grant, each once', async () => {
    await store.createGatewayCredential(credential('c1', 'g1'));
    await store.createGatewayCredential(credential('c2', 'g1'));
    await store.createGatewayCredential(credential('c3', 'g2'));
    expect((await store.revokeGatewayCredentials({ id: 'c1' }, T0 + 5, 'run ended')).map((c) => c.id)).toEqual(['c1']);
    expect((await store.revokeGatewayCredentials({ grantId: 'g1' }, T0 + 6, 'grant revoked')).map((c) => c.id)).toEqual(['c2']);
    expect(await store.revokeGatewayCredentials({ grantId: 'g1' }, T0 + 7, 'again')).toEqual([]);
    expect(await store.getGatewayCredential('c1')).toMatchObject({ revokedAt: T0 + 5, revokedReason: 'run ended' });
    expect(await store.getGatewayCredential('c3')).not.toHaveProperty('revokedAt');
  });

  test('an approved request approval is used once, and only once approved', async () => {
    await store.createApproval(approval('a1'));
    expect(await store.consumeApproval('a1', T0 + 1)).toBe(false);
    await store.addVote('a1', vote(person('carol', ['sre-leads'])), { requiredCount: 1, now: T0 + 2 });
    const results = await Promise.all([store.consumeApproval('a1', T0 + 3), store.consumeApproval('a1', T0 + 3)]);
    expect(results.sort()).toEqual([false, true]);
    expect(await store.getApproval('a1')).toMatchObject({ state: 'approved', consumedAt: T0 + 3 });
  });
});

describe('gateway tokens', () => {
  test('random, recognisable, and distinct from their digest', () => {
    const a = createGatewayToken();
    const b = createGatewayToken();
    expect(a.token).not.toBe(b.token);
    expect(looksLikeGatewayToken(a.token)).toBe(true);
    expect(a.sha256).toBe(gatewayTokenDigest(a.token));
    expect(a.sha256).not.toContain(a.token.slice(9));
    for (const bad of ['', 'kgate-gw.', `kgate-gw.${'a'.repeat(42)}`, `Kgate-gw.${'a'.repeat(43)}`, `kgate-gw.${'a'.repeat(43)}\n`, 'k8s-aws-v1.abc']) expect(looksLikeGatewayToken(bad)).toBe(false);
  });
});
