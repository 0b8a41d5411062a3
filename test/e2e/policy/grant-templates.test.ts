/**
 * `GET /v1/grant-templates`: what each caller of the sample policy is offered, decided by the same
 * evaluator that decides requests — so every template listed can be requested, and nothing listed
 * is refused for "may not request". Real tokens from the sim IdP against the real service.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { GrantTemplateView, GrantView, ListView } from '../../../src/policy/server/api.js';
import { startSimPolicyServer, type SimPolicyServer } from '../../sim/policy-server.js';
import { startSimWorld, type SimWorld } from '../../sim/world.js';
import { apiAs, machineToken, personToken } from './support.js';

let world: SimWorld;
let server: SimPolicyServer;
let machine: ReturnType<typeof apiAs>;
let bob: ReturnType<typeof apiAs>;

beforeAll(async () => {
  world = await startSimWorld();
  server = await startSimPolicyServer(world);
  machine = apiAs(world, server.url, await machineToken(world, 'ci-deployer'));
  bob = apiAs(world, server.url, await personToken(world, 'bob'));
}, 60_000);

afterAll(async () => {
  await server?.close();
  await world?.close();
});

const names = (r: { body: ListView<GrantTemplateView> }) => r.body.items.map((t) => t.name);

it('the ci-deployer machine is offered read-only, operate and deploy, with what each asks of it', async () => {
  const r = await machine<ListView<GrantTemplateView>>('GET', '/v1/grant-templates?cluster=kgate-sim');
  expect(r.status).toBe(200);
  expect(names(r)).toEqual(['read-only', 'operate', 'deploy']);
  const [readOnly, , deploy] = r.body.items;
  expect(readOnly).toEqual({
    name: 'read-only', description: 'Read everything but Secrets, in every namespace.', clusters: ['kgate-sim', 'kgate-sim-broker'], access: { 'kgate-sim': 'gateway', 'kgate-sim-broker': 'broker' }, clusterRole: 'view',
    namespaces: ['*'], defaultTtlMs: 3_600_000, maxTtlMs: 8 * 3_600_000, reasonRequired: false, breakGlassOnly: false,
  });
  expect(deploy).toMatchObject({ clusterRole: 'edit', namespaces: ['apps'], approval: { groups: ['sre-leads'], count: 1 }, reasonRequired: false });
});

it('bob (dev) is offered read-only and deploy only; operate and break-glass stay hidden', async () => {
  const r = await bob<ListView<GrantTemplateView>>('GET', '/v1/grant-templates');
  expect(r.status).toBe(200);
  expect(names(r)).toEqual(['read-only', 'deploy']);
});

it('alice (sre) sees break-glass as a template that always needs a reason', async () => {
  const alice = apiAs(world, server.url, await personToken(world, 'alice'));
  const r = await alice<ListView<GrantTemplateView>>('GET', '/v1/grant-templates?cluster=kgate-sim');
  expect(names(r)).toEqual(['operate', 'deploy', 'break-glass']);
  expect(r.body.items.find((t) => t.name === 'break-glass')).toMatchObject({ clusterRole: 'cluster-admin', reasonRequired: true, breakGlassOnly: true });
}, 30_000);

it('every template offered can be requested, and one not offered is refused', async () => {
  for (const name of names(await bob<ListView<GrantTemplateView>>('GET', '/v1/grant-templates'))) {
    const requested = await bob<GrantView>('POST', '/v1/grants', { cluster: 'kgate-sim', grant: name, reason: 'templates e2e' });
    expect([name, requested.status]).toEqual([name, 201]);
    expect((await bob('POST', `/v1/grants/${requested.body.id}/revoke`, {})).status).toBe(200);
  }
  const refused = await bob<{ error: { message: string } }>('POST', '/v1/grants', { cluster: 'kgate-sim', grant: 'operate' });
  expect(refused.status).toBe(403);
  expect(refused.body.error.message).toContain('you may request: read-only, deploy');
});

it('refuses an unknown cluster, an unknown query parameter and a missing token', async () => {
  const unknown = await machine<{ error: { code: string } }>('GET', '/v1/grant-templates?cluster=nowhere');
  expect([unknown.status, unknown.body.error.code]).toEqual([404, 'not_found']);
  const query = await machine<{ error: { code: string } }>('GET', '/v1/grant-templates?mine=true');
  expect([query.status, query.body.error.code]).toEqual([400, 'invalid_query']);
  const anonymous = await apiAs(world, server.url, undefined)('GET', '/v1/grant-templates');
  expect(anonymous.status).toBe(401);
});
