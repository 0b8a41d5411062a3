/**
 * Authentication and bad input against the running service: untrusted issuers, foreign audiences,
 * forged signatures, missing tokens; malformed JSON, unknown fields, oversized bodies, bad TTLs and
 * names — each a 4xx with `{ error: { code, message } }` and never a stack. Also audit ingest
 * idempotency and search, recordings, the rules ETag, and long-poll timeouts.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { GrantView } from '../../../src/policy/server/api.js';
import { startSimPolicyServer, type SimPolicyServer } from '../../sim/policy-server.js';
import { startSimWorld, type SimWorld } from '../../sim/world.js';
import { apiAs, machineToken, personToken, simFetch, TEST_POLICY } from './support.js';

let world: SimWorld;
let server: SimPolicyServer;
let ci: ReturnType<typeof apiAs>;
let carol: ReturnType<typeof apiAs>;
let bob: ReturnType<typeof apiAs>;

beforeAll(async () => {
  world = await startSimWorld();
  server = await startSimPolicyServer(world, { policyFile: TEST_POLICY });
  const [ciToken, carolToken, bobToken] = await Promise.all([machineToken(world, 'ci-deployer'), personToken(world, 'carol'), personToken(world, 'bob')]);
  ci = apiAs(world, server.url, ciToken);
  carol = apiAs(world, server.url, carolToken);
  bob = apiAs(world, server.url, bobToken);
}, 60_000);

afterAll(async () => {
  await server?.close();
  await world?.close();
});

async function selfSignedToken(issuer: string, claims: Record<string, unknown> = {}): Promise<string> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const jwk = await exportJWK(publicKey);
  return new SignJWT({ ...claims }).setProtectedHeader({ alg: 'RS256', kid: String(jwk.n).slice(0, 8) }).setIssuer(issuer).setSubject('mallory').setAudience('kgate').setIssuedAt().setExpirationTime('5m').sign(privateKey);
}

async function ghaToken(audience: string): Promise<string> {
  const { fetch } = simFetch(world);
  const response = await fetch(`${world.gha.requestUrl}&audience=${encodeURIComponent(audience)}`, { headers: { authorization: `bearer ${world.gha.requestToken}` } });
  return ((await response.json()) as { value: string }).value;
}

const errorOf = (r: { body: unknown }) => (r.body as { error: { code: string; message: string } }).error;

describe('authentication', () => {
  it('refuses a missing or malformed bearer with 401 and a challenge', async () => {
    const none = await apiAs(world, server.url, undefined)('GET', '/v1/grants');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="kgate"');
    expect(errorOf(none).message).toContain('No bearer token');
    const garbage = await apiAs(world, server.url, 'not-a-jwt')('GET', '/v1/grants');
    expect(garbage.status).toBe(401);
    expect(errorOf(garbage).message).toBe('The bearer token is not a JWT');
  });

  it('refuses a token from an untrusted issuer, naming it', async () => {
    const response = await apiAs(world, server.url, await selfSignedToken('https://idp.evil.example'))('GET', '/v1/grants');
    expect(response.status).toBe(401);
    expect(errorOf(response)).toEqual({ code: 'unauthenticated', message: expect.stringContaining('issuer https://idp.evil.example is not trusted by this kgate server') });
  });

  it('refuses a token that claims a trusted issuer but is signed with another key', async () => {
    const response = await apiAs(world, server.url, await selfSignedToken(world.idp.issuer))('GET', '/v1/grants');
    expect(response.status).toBe(401);
    expect(errorOf(response).message).toMatch(/no key of .* matches|signature does not verify/);
  });

  it('refuses a trusted issuer\'s token for another audience, and accepts it for kgate', async () => {
    const foreign = await apiAs(world, server.url, await ghaToken('sts.amazonaws.com'))('GET', '/v1/grants');
    expect(foreign.status).toBe(401);
    expect(errorOf(foreign).message).toBe('The bearer token was refused: its audience is not kgate');
    const ours = await apiAs(world, server.url, await ghaToken('kgate'))('GET', '/v1/grants');
    expect(ours).toMatchObject({ status: 200, body: { items: [] } });
  });

  it('health and readiness need no token', async () => {
    const anonymous = apiAs(world, server.url, undefined);
    expect(await anonymous('GET', '/healthz')).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(await anonymous('GET', '/readyz')).toMatchObject({ status: 200, body: { status: 'ready', clusters: ['kgate-sim'] } });
  });
});

describe('bad input', () => {
  it.each([
    ['malformed JSON', '{"cluster": "kgate-sim",', 400, 'malformed_json', /not valid JSON/],
    ['an unknown field', { cluster: 'kgate-sim', grant: 'read-only', role: 'cluster-admin' }, 400, 'unknown_field', /unknown field "role"/],
    ['a missing field', { cluster: 'kgate-sim' }, 400, 'missing_field', /^grant is required$/],
    ['a wrong type', { cluster: 'kgate-sim', grant: 'read-only', breakGlass: 'yes' }, 400, 'invalid_field', /breakGlass: expected true or false/],
    ['a malformed TTL', { cluster: 'kgate-sim', grant: 'read-only', ttl: '3600' }, 400, 'invalid_field', /ttl: expected a duration/],
    ['a zero TTL', { cluster: 'kgate-sim', grant: 'read-only', ttl: '0s' }, 400, 'invalid_field', /longer than zero/],
    ['a TTL over the maximum', { cluster: 'kgate-sim', grant: 'read-only', ttl: '9h' }, 403, 'denied', /ttl|TTL/],
    ['a TTL too long to count (not the default TTL)', { cluster: 'kgate-sim', grant: 'read-only', ttl: '99999999999999999d' }, 403, 'denied', /TTL of that length is above the maximum/],
    ['a namespace that would inject into object names', { cluster: 'kgate-sim', grant: 'read-only', namespaces: ['apps,kube-system'] }, 400, 'invalid_field', /namespaces\[0\]/],
    ['an unknown template', { cluster: 'kgate-sim', grant: 'root' }, 403, 'denied', /root/],
    ['an array body', [], 400, 'invalid_field', /expected a JSON object/],
  ])('%s → %i', async (_what, body, status, code, message) => {
    const response = await ci('POST', '/v1/grants', body);
    expect(response.status).toBe(status);
    expect(errorOf(response).code).toBe(code);
    expect(errorOf(response).message).toMatch(message);
    expect(JSON.stringify(response.body)).not.toMatch(/\bat \S+:\d+:\d+/);
  });

  it('refuses an oversized body with 413', async () => {
    const response = await ci('POST', '/v1/grants', { cluster: 'kgate-sim', grant: 'read-only', reason: 'x'.repeat(100_000) });
    expect(response.status).toBe(413);
    expect(errorOf(response).code).toBe('body_too_large');
  });

  it('refuses unknown routes, methods, query parameters and ids', async () => {
    expect(await ci('GET', '/v1/nothing')).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
    expect(await ci('DELETE', '/v1/grants')).toMatchObject({ status: 405, body: { error: { code: 'method_not_allowed' } } });
    expect(await ci('GET', '/v1/grants?owner=me')).toMatchObject({ status: 400, body: { error: { code: 'invalid_query' } } });
    expect(await ci('GET', '/v1/grants/..%2F..%2Fetc')).toMatchObject({ status: 404 });
    expect(await ci('GET', '/v1/grants/abcdefghijklmnop?wait=2h')).toMatchObject({ status: 400, body: { error: { code: 'invalid_query' } } });
  });
});

describe('long-poll', () => {
  it('returns the unchanged grant when the wait ends', async () => {
    const grant = (await ci<GrantView>('POST', '/v1/grants', { cluster: 'kgate-sim', grant: 'read-only' })).body;
    const started = Date.now();
    const polled = await ci<GrantView>('GET', `/v1/grants/${grant.id}?wait=1s&revision=${grant.revision}`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(polled.body).toMatchObject({ id: grant.id, revision: grant.revision, state: 'active' });
    const immediate = await ci<GrantView>('GET', `/v1/grants/${grant.id}?wait=30s&revision=0`);
    expect(immediate.body.revision).toBe(grant.revision);
    expect(await ci('GET', `/v1/grants/${grant.id}?wait=5m`)).toMatchObject({ status: 400, body: { error: { code: 'invalid_query' } } });
    await ci('POST', `/v1/grants/${grant.id}/revoke`, {});
  });
});

/** A grant of ci-deployer's on the (broker-mode) test cluster: clients may ingest events and recordings only for such grants. */
let brokerGrant = '';
const brokerGrantOf = async () => (brokerGrant ||= (await ci<GrantView>('POST', '/v1/grants', { cluster: 'kgate-sim', grant: 'read-only', reason: 'ingest tests' })).body.id);

describe('audit', () => {
  beforeAll(brokerGrantOf);
  const event = (id: string, verb: string, time: string, principal = `${world.idp.issuer}#ci-deployer`) => ({
    kind: 'Event', apiVersion: 'audit.k8s.io/v1', level: 'Metadata', auditID: id, stage: 'ResponseComplete', verb,
    requestURI: '/api/v1/namespaces/prod/pods', objectRef: { resource: 'pods', namespace: 'prod', apiVersion: 'v1' },
    user: { username: 'kgate:grant-x' }, requestReceivedTimestamp: time, stageTimestamp: time,
    annotations: { 'kgate.dev/principal': principal, 'kgate.dev/cluster': 'kgate-sim', 'kgate.dev/decision': 'allow', 'kgate.dev/grant': brokerGrant },
  });

  it('stores a batch sent twice once, and finds it with filters and a cursor', async () => {
    const batch = [
      event('11111111-0000-4000-8000-000000000001', 'list', '2030-01-01T00:00:01.000001Z'),
      event('11111111-0000-4000-8000-000000000002', 'get', '2030-01-01T00:00:02Z'),
      event('11111111-0000-4000-8000-000000000003', 'delete', '2030-01-01T00:00:03Z'),
    ];
    expect(await ci('POST', '/v1/audit/events', { events: batch })).toMatchObject({ status: 200, body: { accepted: 3, duplicates: 0 } });
    expect(await ci('POST', '/v1/audit/events', { events: batch })).toMatchObject({ status: 200, body: { accepted: 0, duplicates: 3 } });
    // carol approves grants, so she may search everyone's events.
    const all = await carol<{ items: { auditID: string }[]; next?: string }>('GET', `/v1/audit/events?grant=${brokerGrant}&from=2030-01-01T00:00:00Z&limit=2`);
    expect(all.body.items.map((e) => e.auditID)).toEqual(['11111111-0000-4000-8000-000000000003', '11111111-0000-4000-8000-000000000002']);
    const rest = await carol<{ items: { auditID: string }[]; next?: string }>('GET', `/v1/audit/events?grant=${brokerGrant}&from=2030-01-01T00:00:00Z&limit=2&cursor=${all.body.next}`);
    expect(rest.body).toEqual({ items: [expect.objectContaining({ auditID: '11111111-0000-4000-8000-000000000001' })] });
    const deletes = await carol<{ items: { auditID: string }[] }>('GET', '/v1/audit/events?verb=delete&namespace=prod&resource=pods&cluster=kgate-sim&decision=allow&from=2030-01-01T00:00:00Z&to=2030-01-02T00:00:00Z');
    expect(deletes.body.items.map((e) => e.auditID)).toEqual(['11111111-0000-4000-8000-000000000003']);
    // bob governs nothing: he sees only his own events, and may not ask for someone else's.
    expect(await bob('GET', '/v1/audit/events?principal=someone')).toMatchObject({ status: 403 });
    expect((await bob<{ items: unknown[] }>('GET', `/v1/audit/events?grant=${brokerGrant}`)).body.items).toEqual([]);
  });

  it('refuses events that name another principal, storing none of the batch', async () => {
    const batch = [
      event('33333333-0000-4000-8000-000000000001', 'get', '2030-01-01T00:00:01Z'),
      event('33333333-0000-4000-8000-000000000002', 'delete', '2030-01-01T00:00:02Z', `${world.idp.issuer}#carol`),
    ];
    const refused = await ci('POST', '/v1/audit/events', { events: batch });
    expect(refused).toMatchObject({ status: 403, body: { error: { message: expect.stringContaining('events[1] is not yours') } } });
    const stored = await carol<{ items: { auditID: string }[] }>('GET', '/v1/audit/events?from=2030-01-01T00:00:00Z&to=2030-01-01T00:00:03Z');
    expect(stored.body.items.filter((e) => e.auditID.startsWith('33333333'))).toEqual([]);
  });

  it('refuses events without an id, batches over 1000 and bad cursors', async () => {
    expect(await ci('POST', '/v1/audit/events', { events: [{ verb: 'get', stageTimestamp: '2030-01-01T00:00:00Z' }] })).toMatchObject({ status: 400, body: { error: { message: expect.stringContaining('auditID is required') } } });
    const many = Array.from({ length: 1001 }, (_, i) => event(`22222222-0000-4000-8000-${String(i).padStart(12, '0')}`, 'get', '2030-01-01T00:00:00Z'));
    expect(await ci('POST', '/v1/audit/events', { events: many })).toMatchObject({ status: 400, body: { error: { message: 'events: expected a list of at most 1000 items' } } });
    expect(await carol('GET', '/v1/audit/events?cursor=nonsense')).toMatchObject({ status: 400 });
  });

  it('records the service\'s own decisions, break-glass loudly', async () => {
    const grant = (await ci<GrantView>('POST', '/v1/grants', { cluster: 'kgate-sim', grant: 'read-only', reason: 'audit me' })).body;
    const events = await carol<{ items: { verb: string; annotations: Record<string, string> }[] }>('GET', `/v1/audit/events?grant=${grant.id}`);
    expect(events.body.items.map((e) => [e.verb, e.annotations['kgate.dev/decision']])).toEqual([['activate', 'active'], ['create', 'active']]);
    await ci('POST', `/v1/grants/${grant.id}/revoke`, {});
  });
});

describe('recordings and rules', () => {
  it('uploads and downloads an exec recording; others may not read it', async () => {
    const grant = await brokerGrantOf();
    const cast = '{"version": 2, "width": 80, "height": 24}\n[0.1, "o", "hello\\r\\n"]\n';
    const put = await ci('PUT', `/v1/recordings/rec-1?grant=${grant}`, cast, { 'content-type': 'application/x-asciicast' });
    expect(put).toMatchObject({ status: 201, body: { id: 'rec-1', size: cast.length, contentType: 'application/x-asciicast' } });
    const got = await ci('GET', '/v1/recordings/rec-1');
    expect(got.status).toBe(200);
    expect(got.headers.get('content-type')).toBe('application/x-asciicast');
    expect(await bob('GET', '/v1/recordings/rec-1')).toMatchObject({ status: 403 });
    expect((await carol('GET', '/v1/recordings/rec-1')).status).toBe(200);
    expect(await ci('PUT', '/v1/recordings/..%2Fx', 'x')).toMatchObject({ status: 400 });
  });

  it('serves the guardrail rules with an ETag and answers 304 when unchanged', async () => {
    const first = await ci<{ rules: { name: string }[]; masking: unknown }>('GET', '/v1/policy/rules?cluster=kgate-sim');
    expect(first.status).toBe(200);
    expect(first.body.rules.map((r) => r.name)).toEqual(['prod-exec-needs-approval']);
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect((await ci('GET', '/v1/policy/rules?cluster=kgate-sim', undefined, { 'if-none-match': etag })).status).toBe(304);
    expect(await ci('GET', '/v1/policy/rules?cluster=other')).toMatchObject({ status: 404 });
  });

  it('opens a request approval for a held exec and lets an approver decide it', async () => {
    const opened = await ci<{ id: string; kind: string; state: string }>('POST', '/v1/approvals', {
      cluster: 'kgate-sim', rule: 'prod-exec-needs-approval',
      request: { method: 'POST', url: '/api/v1/namespaces/prod/pods/web/exec?command=sh&container=web&stdin=true' },
    });
    expect(opened).toMatchObject({ status: 201, body: { kind: 'request', state: 'pending', request: { verb: 'create', resource: 'pods', subresource: 'exec', name: 'web', container: 'web', command: ['sh'], digest: expect.stringMatching(/^sha256:/) } } });
    expect(await carol('GET', `/v1/approvals/${opened.body.id}`)).toMatchObject({ status: 200, body: { detail: { command: [{ text: 'sh', highlights: [] }], options: [{ name: 'stdin' }] } } });
    expect((await ci('GET', `/v1/approvals/${opened.body.id}`)).body).not.toHaveProperty('detail');
    const waiting = ci<{ state: string }>('GET', `/v1/approvals/${opened.body.id}?wait=20s&revision=1`);
    expect((await carol<{ state: string }>('POST', `/v1/approvals/${opened.body.id}/approve`, {})).body.state).toBe('approved');
    expect((await waiting).body.state).toBe('approved');
    expect(await ci('POST', '/v1/approvals', { cluster: 'kgate-sim', rule: 'nope', request: { method: 'GET', url: '/' } })).toMatchObject({ status: 400, body: { error: { code: 'unknown_rule' } } });
  });

  it('refuses to hold a request it could not show approvers exactly', async () => {
    const open = (request: Record<string, unknown>) => ci('POST', '/v1/approvals', { cluster: 'kgate-sim', rule: 'prod-exec-needs-approval', request });
    const exec = '/api/v1/namespaces/prod/pods/web/exec';
    expect(await open({ method: 'POST', url: `${exec}?command=a+b` })).toMatchObject({ status: 400, body: { error: { code: 'invalid_field', message: expect.stringContaining('canonical') } } });
    expect(await open({ method: 'POST', url: exec, body: Buffer.from([0xff, 0xfe]).toString('base64') })).toMatchObject({ status: 415 });
    expect(await open({ method: 'POST', url: exec, body: Buffer.alloc(300 * 1024, 0x20).toString('base64') })).toMatchObject({ status: 413, body: { error: { code: 'body_too_large' } } });
    expect(await open({ verb: 'create', path: exec })).toMatchObject({ status: 400, body: { error: { code: 'unknown_field' } } });
  });
});
