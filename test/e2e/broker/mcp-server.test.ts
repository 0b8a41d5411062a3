/**
 * The client-go based Kubernetes MCP server (npm `kubernetes-mcp-server-linux-amd64`) driven
 * through the broker the way an AI assistant drives it: MCP JSON-RPC over stdio, `tools/list`,
 * then `tools/call`. Each check pairs what the tool answered with the broker's audit record or
 * the admin's view of the cluster, so it fails if the server reached the apiserver another way.
 * The server is started by `launch`, which becomes `kgate exec -- …` once that command exists.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { PipelineAuditRecord } from '../../../src/broker/pipeline/index.js';
import { MARKER_PREFIX, base64Marker } from '../../../src/mask/index.js';
import { McpClient } from '../../support/mcp.js';
import { AWS_KEY, NAMESPACE_RULE_MESSAGE, leaks, startSimBroker, type SimBroker } from './fixtures/sim-broker.js';

const PACKAGE = 'kubernetes-mcp-server-linux-amd64';
const SERVER_BINARY = join(dirname(createRequire(import.meta.url).resolve(`${PACKAGE}/package.json`)), 'bin', PACKAGE);

let broker: SimBroker;
let home: string;
let mcp: McpClient;

/** How the assistant's command is started with access to the cluster: today straight at the session kubeconfig. */
function launch(command: string[], env: NodeJS.ProcessEnv): { command: string; args: string[]; env: NodeJS.ProcessEnv } {
  const [file, ...args] = command;
  return { command: file!, args, env: { ...env, KUBECONFIG: broker.session.path } };
}

/**
 * Audit records of requests made while `action` ran. An exec session's record is written when its
 * stream closes, which can be after the tool answered, so `settled` names a record to wait for.
 */
async function audited<T>(action: () => Promise<T>, settled?: (record: PipelineAuditRecord) => boolean): Promise<{ result: T; records: PipelineAuditRecord[] }> {
  const from = broker.audits.length;
  const result = await action();
  for (let i = 0; settled && i < 100 && !broker.audits.slice(from).some(settled); i++) await new Promise((r) => setTimeout(r, 50));
  return { result, records: broker.audits.slice(from) };
}

beforeAll(async () => {
  broker = await startSimBroker();
  home = await mkdtemp(join(tmpdir(), 'kgate-mcp-home-'));
  // YAML lists carry the objects' data; the default table would show no value to leak.
  const server = [SERVER_BINARY, '--log-file', join(home, 'mcp.log'), '--cluster-provider', 'kubeconfig', '--disable-multi-cluster', '--list-output', 'yaml'];
  mcp = await McpClient.start(launch(server, { PATH: process.env.PATH ?? '', HOME: home }));
}, 60_000);

afterAll(async () => {
  await mcp?.close();
  await broker?.close();
  if (home) await rm(home, { recursive: true, force: true });
});

test('the server lists the tools the flows use', async () => {
  expect(mcp.serverInfo?.name).toBe('kubernetes-mcp-server');
  const names = (await mcp.listTools()).map((t) => t.name);
  expect(names).toEqual(expect.arrayContaining(['namespaces_list', 'pods_list', 'pods_list_in_namespace', 'pods_log', 'pods_exec', 'resources_get', 'resources_list', 'resources_delete', 'configuration_view']));
});

test('the kubeconfig the server sees points at the broker and holds no cluster credential', async () => {
  const view = await mcp.callTool('configuration_view', { minified: true });
  expect(view.isError).toBe(false);
  expect(view.text).toContain('kgate-session');
  expect(view.text).not.toContain(broker.world.apiServer.url);
  expect(view.text).not.toContain(broker.world.adminToken);
});

test('namespaces_list lists the namespaces through the broker', async () => {
  const { result, records } = await audited(() => mcp.callTool('namespaces_list', {}));
  expect(result.isError).toBe(false);
  for (const ns of ['prod', 'staging', 'apps']) expect(result.text).toContain(`name: ${ns}\n`);
  expect(records).toContainEqual(expect.objectContaining({ method: 'GET', decision: 'allow', statusCode: 200, info: expect.objectContaining({ verb: 'list', resource: 'namespaces' }) }));
});

test('pods_list and pods_list_in_namespace show the sample pods through the broker', async () => {
  const all = await audited(() => mcp.callTool('pods_list', {}));
  expect(all.result.isError).toBe(false);
  expect(all.result.text).toMatch(/name: web\n\s+namespace: prod\n/);
  expect(all.result.text).toMatch(/name: web\n\s+namespace: staging\n/);
  expect(all.records).toContainEqual(expect.objectContaining({ statusCode: 200, info: expect.objectContaining({ verb: 'list', resource: 'pods', namespace: '' }) }));
  const staging = await audited(() => mcp.callTool('pods_list_in_namespace', { namespace: 'staging' }));
  expect(staging.result.text).toMatch(/name: web\n\s+namespace: staging\n/);
  expect(staging.result.text).not.toContain('namespace: prod');
  expect(staging.records).toContainEqual(expect.objectContaining({ statusCode: 200, info: expect.objectContaining({ verb: 'list', resource: 'pods', namespace: 'staging' }) }));
});

test('resources_get on a Secret shows masked values only', async () => {
  const admin = await broker.admin(['get', 'secret', 'db-credentials', '-n', 'prod', '-o', 'json']);
  expect(leaks(admin.stdout)).not.toEqual([]);
  const { result, records } = await audited(() => mcp.callTool('resources_get', { apiVersion: 'v1', kind: 'Secret', name: 'db-credentials', namespace: 'prod' }));
  expect(result.isError).toBe(false);
  expect(result.text).toContain('name: db-credentials');
  expect(result.text).toContain(`password: ${base64Marker('secret')}`);
  expect(result.text).toContain(`username: ${base64Marker('secret')}`);
  expect(leaks(result.text + mcp.stderr)).toEqual([]);
  expect(records).toContainEqual(expect.objectContaining({ maskedCount: 2, info: expect.objectContaining({ verb: 'get', resource: 'secrets' }) }));
});

test('resources_list on Secrets in all namespaces shows masked values only', async () => {
  const { result, records } = await audited(() => mcp.callTool('resources_list', { apiVersion: 'v1', kind: 'Secret' }));
  expect(result.isError).toBe(false);
  expect(result.text).toMatch(/name: db-credentials\n\s+namespace: prod\n/);
  expect(result.text).toMatch(/name: db-credentials\n\s+namespace: staging\n/);
  expect(result.text.split(base64Marker('secret')).length - 1).toBe(4);
  expect(leaks(result.text + mcp.stderr)).toEqual([]);
  expect(records).toContainEqual(expect.objectContaining({ maskedCount: 4, info: expect.objectContaining({ verb: 'list', resource: 'secrets' }) }));
});

test('resources_get on a ConfigMap masks what the detectors find', async () => {
  const result = await mcp.callTool('resources_get', { apiVersion: 'v1', kind: 'ConfigMap', name: 'app-config', namespace: 'staging' });
  expect(result.isError).toBe(false);
  expect(result.text).toContain('LOG_LEVEL: info');
  expect(result.text).toContain(`AWS_ACCESS_KEY_ID: '${MARKER_PREFIX}`);
  expect(leaks(result.text, [AWS_KEY, 'hunter2-staging'])).toEqual([]);
  expect(leaks((await broker.admin(['get', 'configmap', 'app-config', '-n', 'staging', '-o', 'yaml'])).stdout, [AWS_KEY])).toEqual([AWS_KEY]);
});

test('resources_delete on a namespace is refused with the rule and the namespace stays', async () => {
  const { result, records } = await audited(() => mcp.callTool('resources_delete', { apiVersion: 'v1', kind: 'Namespace', name: 'staging' }));
  expect(result.isError).toBe(true);
  expect(result.text).toContain(NAMESPACE_RULE_MESSAGE);
  expect(records).toContainEqual(expect.objectContaining({ method: 'DELETE', decision: 'deny', rule: 'no-namespace-deletion', statusCode: 403 }));
  const still = await broker.admin(['get', 'namespace', 'staging', '-o', 'jsonpath={.status.phase}']);
  expect(still.code).toBe(0);
  expect(still.stdout).toBe('Active');
});

test('pods_exec runs in staging through the exec relay', async () => {
  const { result, records } = await audited(() => mcp.callTool('pods_exec', { namespace: 'staging', name: 'web', command: ['echo', 'hello-from-staging'] }), (r) => r.exec !== undefined);
  expect(result.isError).toBe(false);
  expect(result.text).toContain('hello-from-staging');
  expect(records).toContainEqual(expect.objectContaining({
    statusCode: 101,
    exec: expect.objectContaining({ namespace: 'staging', pod: 'web', command: ['echo', 'hello-from-staging'], exitCode: 0 }),
  }));
});

test('pods_exec in prod is refused as needing approval, on every protocol the client tries', async () => {
  const { result, records } = await audited(() => mcp.callTool('pods_exec', { namespace: 'prod', name: 'web', command: ['echo', 'ran-in-prod'] }));
  expect(result.isError).toBe(true);
  expect(result.text).toContain('prod-exec-approval: exec in prod needs a second person');
  expect(result.text).toContain('approval');
  expect(result.text).not.toMatch(/^ran-in-prod$/m);
  const attempts = records.filter((r) => r.info?.subresource === 'exec' && r.info.namespace === 'prod');
  expect(attempts.length).toBeGreaterThan(0);
  for (const attempt of attempts) expect(attempt).toMatchObject({ decision: 'approve', rule: 'prod-exec-approval', statusCode: 403 });
});

test('pods_log shows the log through the broker with detector hits masked', async () => {
  const plain = await audited(() => mcp.callTool('pods_log', { namespace: 'prod', name: 'web' }));
  expect(plain.result.isError).toBe(false);
  expect(plain.result.text).toContain('prod web: GET /healthz 200');
  expect(plain.records).toContainEqual(expect.objectContaining({ statusCode: 200, info: expect.objectContaining({ resource: 'pods', subresource: 'log', namespace: 'prod' }) }));

  const pod = {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'leaky', namespace: 'prod' },
    spec: { containers: [{ name: 'leaky', image: 'registry.example/leaky:1', command: ['sh', '-c', `echo "key=${AWS_KEY}"; sleep 600`] }] },
  };
  expect((await broker.admin(['apply', '-f', '-'], JSON.stringify(pod))).code).toBe(0);
  let log = await mcp.callTool('pods_log', { namespace: 'prod', name: 'leaky' });
  for (let i = 0; i < 40 && !log.text.includes('key='); i++) {
    await new Promise((r) => setTimeout(r, 100));
    log = await mcp.callTool('pods_log', { namespace: 'prod', name: 'leaky' });
  }
  expect(log.text).toContain(`key=${MARKER_PREFIX}`);
  expect(log.text).not.toContain(AWS_KEY);
  expect((await broker.admin(['logs', '-n', 'prod', 'leaky'])).stdout).toContain(AWS_KEY);
}, 20_000);
