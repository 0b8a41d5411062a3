/**
 * pods/portforward through the kgate gateway: @kubernetes/client-node's PortForward, given only a
 * gateway credential for the sample's gateway cluster, round-trips bytes to a real TCP server
 * behind a sim pod; the gateway writes the audit event itself (ports and byte counts, its own `gw.`
 * id, in a chain that ends when the credential is revoked), and a revoked credential is refused.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { PassThrough } from 'node:stream';
import { KubeConfig, PortForward } from '@kubernetes/client-node';
import type WebSocket from 'ws';
import { verifyChain } from '../../../src/audit/chain.js';
import type { AuditEvent } from '../../../src/audit/event.js';
import type { GatewayCredentialView, GrantView } from '../../../src/policy/server/api.js';
import { startSimPolicyServer, type SimPolicyServer } from '../../sim/policy-server.js';
import { startSimWorld, type SimWorld } from '../../sim/world.js';
import { kubectl } from '../../support/kubectl.js';
import { apiAs, machineToken, until } from '../policy/support.js';

const POD = 'gateway-forward-target';
let world: SimWorld;
let server: SimPolicyServer;
let echo: Server;
let port: number;
let ci: ReturnType<typeof apiAs>;

function kubeconfig(credential: GatewayCredentialView): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'gw', server: `${server.url}${credential.path}`, caData: Buffer.from(world.tls.ca.cert).toString('base64') }],
    users: [{ name: 'gw', token: credential.token }],
    contexts: [{ name: 'gw', cluster: 'gw', user: 'gw' }],
    currentContext: 'gw',
  });
  return kc;
}

beforeAll(async () => {
  world = await startSimWorld();
  server = await startSimPolicyServer(world);
  echo = createServer((socket) => socket.on('data', (d: Buffer) => socket.write(d.toString().toUpperCase())).on('error', () => undefined));
  port = await new Promise<number>((resolve) => echo.listen(0, '127.0.0.1', () => resolve((echo.address() as AddressInfo).port)));
  const pod = {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: POD, namespace: 'staging' },
    spec: { containers: [{ name: 'app', image: 'registry.example/app:1', command: ['sleep', '600'], ports: [{ containerPort: port }] }] },
  };
  expect((await kubectl(['apply', '-f', '-'], { kubeconfig: world.kubeconfig, input: JSON.stringify(pod) })).code).toBe(0);
  await until(() => (world.store.get({ group: '', resource: 'pods' }, 'staging', POD) as { status?: { phase?: string } } | undefined)?.status?.phase === 'Running', 10_000, 'the pod to run');
  ci = apiAs(world, server.url, await machineToken(world, 'ci-deployer'));
}, 60_000);

afterAll(async () => {
  await server?.close();
  await world?.close();
  await new Promise((r) => echo?.close(r));
});

test('client-node PortForward through the gateway: bytes round-trip, the gateway audits it, a revoked credential is refused', async () => {
  const grant = (await ci('POST', '/v1/grants', { cluster: server.env.KGATE_CLUSTER, grant: 'operate', reason: 'port-forward test' })).body as unknown as GrantView;
  expect(grant).toMatchObject({ state: 'active', access: 'gateway' });
  const issued = await ci('POST', `/v1/grants/${grant.id}/gateway-credentials`, { purpose: 'run' });
  expect(issued.status).toBe(201);
  const credential = issued.body as unknown as GatewayCredentialView;
  const kc = kubeconfig(credential);

  const output = new PassThrough();
  const input = new PassThrough();
  let received = '';
  output.on('data', (d: Buffer) => (received += d.toString()));
  const ws = (await new PortForward(kc).portForward('staging', POD, [port], output, null, input)) as unknown as WebSocket;
  input.write('hello through the gateway\n');
  await until(() => received === 'HELLO THROUGH THE GATEWAY\n', 10_000, 'the echoed bytes');
  input.end();
  await new Promise((r) => (ws.readyState === ws.CLOSED ? r(undefined) : ws.once('close', r)));

  let event: AuditEvent | undefined;
  await until(async () => {
    const page = await server.store.queryAuditEvents({ grant: grant.id, resource: 'pods/portforward' });
    const record = page.items.find((r) => (r.event as AuditEvent).stage === 'ResponseComplete');
    event = record?.event as AuditEvent | undefined;
    return record !== undefined && record.id.startsWith('gw.');
  }, 10_000, 'the gateway\'s port-forward event');
  expect(event!.annotations).toMatchObject({ 'kgate.dev/cluster': 'kgate-sim', 'kgate.dev/decision': 'allow', 'kgate.dev/portforward-masked': 'false' });
  expect(JSON.stringify(event!.annotations)).toContain(String(port));

  expect((await ci('POST', `/v1/gateway-credentials/${credential.id}/revoke`, {})).status).toBe(200);
  await expect(new PortForward(kubeconfig(credential)).portForward('staging', POD, [port], new PassThrough(), null, new PassThrough())).rejects.toBeDefined();
  const session = event!.annotations!['kgate.dev/session']!;
  await until(async () => verifyChain((await server.store.queryAuditEvents({ session })).items.map((r) => r.event as AuditEvent)).sessions[0]?.ended === true, 10_000, 'the session\'s end marker');
  const chain = verifyChain((await server.store.queryAuditEvents({ session })).items.map((r) => r.event as AuditEvent));
  expect(chain.problems).toEqual([]);
}, 60_000);
