/**
 * The whole grant lifecycle against the sim with real tokens and the real kubectl: a machine's
 * read-only grant is active at once, its minted token works, revocation makes kubectl 403; a
 * person's `deploy` grant waits for carol, then works in `apps` only; two-approver grants need two
 * distinct approvers; self-approval and second votes are refused; approvals and grants expire.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import { createServerLogger } from '../../../src/policy/server/logger.js';
import type { ApprovalView, GrantView } from '../../../src/policy/server/api.js';
import type { ClusterCredential } from '../../../src/policy/types.js';
import { startSimPolicyServer, type SimPolicyServer } from '../../sim/policy-server.js';
import { startSimWorld, type SimWorld } from '../../sim/world.js';
import { apiAs, kubectlWith, machineToken, personToken, TEST_POLICY, until } from './support.js';

let world: SimWorld;
let server: SimPolicyServer;
const tokens: Record<string, string> = {};
/** The service's clock runs ahead by this much once a test needs an approval to expire. */
let clockOffsetMs = 0;
/** The service's JSON log lines. */
const logLines: string[] = [];
const logger = createServerLogger({ level: 'debug', destination: new Writable({ write(chunk: Buffer, _enc, done) { logLines.push(...chunk.toString().split('\n').filter(Boolean)); done(); } }) });
type Api = ReturnType<typeof apiAs>;
const api: Record<string, Api> = {};

beforeAll(async () => {
  world = await startSimWorld();
  server = await startSimPolicyServer(world, { policyFile: TEST_POLICY, sweepIntervalMs: 500, now: () => Date.now() + clockOffsetMs, logger });
  const [ci, alice, bob, carol] = await Promise.all([
    machineToken(world, 'ci-deployer'),
    personToken(world, 'alice'),
    personToken(world, 'bob'),
    personToken(world, 'carol'),
  ]);
  Object.assign(tokens, { ci, alice, bob, carol });
  for (const [name, token] of Object.entries(tokens)) api[name] = apiAs(world, server.url, token);
}, 60_000);

afterAll(async () => {
  await server?.close();
  await world?.close();
});

const request = (who: string, body: Record<string, unknown>) => api[who]!<GrantView>('POST', '/v1/grants', { cluster: 'kgate-sim', ...body });
const credentials = async (who: string, id: string) => (await api[who]!<ClusterCredential>('POST', `/v1/grants/${id}/credentials`, {})).body;
const vote = (who: string, id: string, decision: 'approve' | 'deny', reason?: string) => api[who]!<ApprovalView>('POST', `/v1/approvals/${id}/${decision}`, reason ? { reason } : {});

describe('a machine with a read-only grant', () => {
  it('is active at once; the minted token reads with kubectl; revoke makes it 403', async () => {
    const created = await request('ci', { grant: 'read-only', reason: 'nightly report' });
    expect(created.status).toBe(201);
    const grant = created.body;
    expect(grant).toMatchObject({ state: 'active', clusterRole: 'view', namespaces: ['*'], template: 'read-only', principal: { subject: 'ci-deployer', type: 'workload', clientId: 'ci-deployer' } });
    expect(grant.id).toMatch(/^[a-z][a-z2-7]{15}$/);
    expect(grant.expiresAt! - grant.activatedAt!).toBe(3_600_000);

    const credential = await credentials('ci', grant.id);
    expect(credential.token).toMatch(/^k8s-aws-v1\./);
    expect(credential.server).toBe(world.apiServer.url);
    const whoami = await kubectlWith(credential, ['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}']);
    expect(whoami.stdout).toBe(`kgate:grant-${grant.id}`);
    const pods = await kubectlWith(credential, ['get', 'pods', '-n', 'prod']);
    expect(pods.stderr).toBe('');
    expect(pods.stdout).toMatch(/^NAME\s+READY/);
    const write = await kubectlWith(credential, ['create', 'configmap', 'nope', '-n', 'prod', '--from-literal=a=b']);
    expect(write.stderr).toContain(`configmaps is forbidden: User "kgate:grant-${grant.id}" cannot create resource "configmaps"`);

    const revoked = await api.ci!<GrantView>('POST', `/v1/grants/${grant.id}/revoke`, { reason: 'done' });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ state: 'revoked', message: 'Revoked by ci-deployer: done' });
    const after = await kubectlWith(credential, ['get', 'pods', '-n', 'prod']);
    expect(after.code).toBe(1);
    expect(after.stderr).toContain(`Error from server (Forbidden): pods is forbidden: User "kgate:grant-${grant.id}"`);
    const again = await api.ci!('POST', `/v1/grants/${grant.id}/credentials`, {});
    expect(again).toMatchObject({ status: 409, body: { error: { code: 'grant_not_active' } } });
  });
});

describe('a person\'s deploy grant', () => {
  it('waits for carol, then allows kubectl in apps only', async () => {
    const created = await request('bob', { grant: 'deploy', ttl: '30m', reason: 'release 1.4' });
    expect(created.status).toBe(201);
    const grant = created.body;
    expect(grant).toMatchObject({ state: 'pending', principal: { name: 'bob', type: 'human', groups: ['dev'] }, approval: { groups: ['sre-leads'], count: 1 } });
    expect(grant.approvalId).toMatch(/^[a-z][a-z2-7]{15}$/);
    expect(await api.bob!('POST', `/v1/grants/${grant.id}/credentials`, {})).toMatchObject({ status: 409 });

    const listed = await api.carol!<{ items: ApprovalView[] }>('GET', '/v1/approvals?state=pending');
    expect(listed.body.items.map((a) => a.id)).toContain(grant.approvalId);
    expect((await api.bob!<{ items: ApprovalView[] }>('GET', '/v1/approvals')).body.items).toEqual([]);

    // Bob's long-poll returns as soon as carol decides.
    const waiting = api.bob!<GrantView>('GET', `/v1/grants/${grant.id}?wait=30s&revision=${grant.revision}`);
    const started = Date.now();
    await new Promise((r) => setTimeout(r, 300));
    const approved = await vote('carol', grant.approvalId!, 'approve', 'release window');
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ state: 'approved', votes: [{ decision: 'approve', reason: 'release window', approver: { name: 'carol' } }] });
    const woke = await waiting;
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(woke.body).toMatchObject({ id: grant.id, state: 'active' });
    expect(woke.body.expiresAt! - woke.body.activatedAt!).toBe(30 * 60_000);

    const credential = await credentials('bob', grant.id);
    const create = await kubectlWith(credential, ['create', 'configmap', 'release', '-n', 'apps', '--from-literal=version=1.4']);
    expect(create.stderr).toBe('');
    expect(create.stdout).toContain('configmap/release created');
    const elsewhere = await kubectlWith(credential, ['get', 'pods', '-n', 'prod']);
    expect(elsewhere.stderr).toContain('(Forbidden)');

    // Carol (an approver) may not take bob's credentials, but may revoke.
    expect(await api.carol!('POST', `/v1/grants/${grant.id}/credentials`, {})).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } });
    expect(await api.ci!('GET', `/v1/grants/${grant.id}`)).toMatchObject({ status: 403 });
    expect((await api.carol!<GrantView>('POST', `/v1/grants/${grant.id}/revoke`, {})).body.state).toBe('revoked');
    expect((await kubectlWith(credential, ['get', 'configmaps', '-n', 'apps'])).stderr).toContain('(Forbidden)');
  });

  it('refuses self-approval, a second vote by the same approver, and votes on a decided approval', async () => {
    const grant = (await request('alice', { grant: 'deploy', reason: 'hotfix' })).body;
    expect(grant.state).toBe('pending');
    // bob (dev) is not in sre-leads.
    expect(await vote('bob', grant.approvalId!, 'approve')).toMatchObject({ status: 403, body: { error: { code: 'not_an_approver', message: 'only members of sre-leads may approve this' } } });
    const denied = await vote('carol', grant.approvalId!, 'deny', 'not during the freeze');
    expect(denied.body.state).toBe('denied');
    expect((await api.alice!<GrantView>('GET', `/v1/grants/${grant.id}`)).body).toMatchObject({ state: 'denied', message: 'Denied by carol: not during the freeze' });
    expect(await vote('carol', grant.approvalId!, 'approve')).toMatchObject({ status: 409, body: { error: { code: 'approval_closed' } } });
    expect(await vote('carol', grant.approvalId!, 'deny')).toMatchObject({ status: 400, body: { error: { code: 'missing_field', message: 'reason is required' } } });
  });
});

describe('a two-approver grant', () => {
  it('needs two distinct approvers; the requester and a repeated approver do not count', async () => {
    const grant = (await request('bob', { grant: 'deploy-two', reason: 'migration' })).body;
    expect(grant).toMatchObject({ state: 'pending', approval: { count: 2 } });
    expect(await vote('bob', grant.approvalId!, 'approve')).toMatchObject({ status: 403 });
    const first = await vote('carol', grant.approvalId!, 'approve');
    expect(first.body).toMatchObject({ state: 'pending', votes: [{ approver: { name: 'carol' } }] });
    expect(await vote('carol', grant.approvalId!, 'approve')).toMatchObject({ status: 409, body: { error: { code: 'already_voted' } } });
    expect((await api.bob!<GrantView>('GET', `/v1/grants/${grant.id}`)).body.state).toBe('pending');
    const second = await vote('alice', grant.approvalId!, 'approve');
    expect(second.body.state).toBe('approved');
    expect((await api.bob!<GrantView>('GET', `/v1/grants/${grant.id}`)).body.state).toBe('active');
    await api.bob!('POST', `/v1/grants/${grant.id}/revoke`, {});
  });

  it('refuses self-approval even by a member of an approver group', async () => {
    // alice is in sre, one of deploy-two's approver groups, and asks for it herself.
    const own = (await request('alice', { grant: 'deploy-two', reason: 'schema change' })).body;
    expect(own.state).toBe('pending');
    expect(await vote('alice', own.approvalId!, 'approve')).toMatchObject({ status: 403, body: { error: { code: 'not_an_approver', message: 'you cannot approve your own request' } } });
    expect((await api.alice!<{ items: ApprovalView[] }>('GET', '/v1/approvals')).body.items.map((a) => a.id)).not.toContain(own.approvalId);
    await api.alice!('POST', `/v1/grants/${own.id}/revoke`, {});
  });
});

describe('expiry', () => {
  it('an approval not decided in time expires, and so does its grant; a late vote is refused', async () => {
    const grant = (await request('bob', { grant: 'deploy-hurry', reason: 'quick' })).body;
    expect(grant.state).toBe('pending');
    // Approvals last at least a minute (policy minimum): move the service's clock past it.
    clockOffsetMs += 61_000;
    const settled = await api.bob!<GrantView>('GET', `/v1/grants/${grant.id}?wait=10s&revision=${grant.revision}`);
    expect(settled.body).toMatchObject({ state: 'expired', message: expect.stringContaining('approval expired') });
    expect(await vote('carol', grant.approvalId!, 'approve')).toMatchObject({ status: 409, body: { error: { code: 'approval_closed' } } });
    expect((await api.carol!<ApprovalView>('GET', `/v1/approvals/${grant.approvalId}`)).body.state).toBe('expired');
  });

  it('a grant past its TTL loses access within seconds', async () => {
    const grant = (await request('ci', { grant: 'glimpse', ttl: '3s' })).body;
    expect(grant.state).toBe('active');
    const credential = await credentials('ci', grant.id);
    expect((await kubectlWith(credential, ['get', 'pods', '-n', 'staging'])).stderr).toBe('');
    await until(async () => (await api.ci!<GrantView>('GET', `/v1/grants/${grant.id}`)).body.state === 'expired', 8_000, 'grant expired');
    const after = await api.ci!<GrantView>('GET', `/v1/grants/${grant.id}`);
    expect(after.body.endedAt! - grant.expiresAt!).toBeLessThan(2_000);
    expect((await kubectlWith(credential, ['get', 'pods', '-n', 'staging'])).stderr).toContain('(Forbidden)');
  });

  it('a TTL above the template maximum is refused', async () => {
    const response = await request('ci', { grant: 'glimpse', ttl: '1h' });
    expect(response.status).toBe(403);
    expect((response.body as unknown as { error: { message: string } }).error.message).toMatch(/ttl|TTL/);
  });
});

describe('break glass', () => {
  it('activates at once for a member with a reason, logs a warning and an audit event; refuses without a reason', async () => {
    expect(await request('alice', { grant: 'break-glass', breakGlass: true })).toMatchObject({ status: 403, body: { error: { code: 'denied' } } });
    const created = await request('alice', { grant: 'break-glass', breakGlass: true, reason: 'INC-42 API down' });
    expect(created.body).toMatchObject({ state: 'active', breakGlass: true, clusterRole: 'cluster-admin', reason: 'INC-42 API down' });
    const warning = logLines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.grant === created.body.id && l.level === 40);
    expect(warning).toMatchObject({ msg: 'BREAK-GLASS grant requested: access without approval', reason: 'INC-42 API down' });
    const events = await api.carol!<{ items: { verb: string; annotations: Record<string, string> }[] }>('GET', `/v1/audit/events?grant=${created.body.id}`);
    expect(events.body.items.find((e) => e.verb === 'create')?.annotations).toMatchObject({ 'kgate.dev/break-glass': 'true', 'kgate.dev/reason': 'INC-42 API down' });
    await api.alice!('POST', `/v1/grants/${created.body.id}/revoke`, {});
  });

  it('never logs a token', () => {
    expect(logLines.length).toBeGreaterThan(10);
    const text = logLines.join('\n');
    for (const token of Object.values(tokens)) expect(text).not.toContain(token.split('.')[2]);
    expect(text).not.toMatch(/k8s-aws-v1\./);
  });
});
