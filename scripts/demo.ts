/**
 * `npm run demo`: starts the simulated EKS world and the policy service, then walks through the
 * governed flow as far as it exists today with the real kgate CLI and the real kubectl: a CI job
 * logs in with no static secret and gets a read-only grant at once; a developer's deploy grant waits
 * for an SRE lead's approval; underneath, a grant is an STS session whose token RBAC refuses until
 * the just-in-time binding exists. Later issues add the broker (masking, guardrails, recording).
 * Each step prints what it shows and checks it; any surprise exits 1.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { startSimPolicyServer } from '../test/sim/policy-server.js';
import { renderEnvFile } from '../test/sim/env-file.js';
import { startSimWorld } from '../test/sim/world.js';
import { assumeRole, eksToken, trustingHandler } from '../test/support/aws.js';
import { kubectl, kubectlBinary, writeKubeconfig } from '../test/support/kubectl.js';

const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
let step = 0;

function show(title: string, command: string, output: string): void {
  process.stdout.write(`\n${bold(`${++step}. ${title}`)}\n$ ${command}\n${output.trimEnd().replace(/^/gm, '  ')}\n`);
}

function expectThat(ok: boolean, what: string): void {
  if (!ok) throw new Error(`demo step ${step} did not show what it should: ${what}`);
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command with extra environment, capturing its output. */
function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function main(): Promise<void> {
  const world = await startSimWorld();
  const policyServer = await startSimPolicyServer(world);
  Object.assign(world.env, policyServer.env);
  try {
    const binary = await kubectlBinary();
    process.stdout.write(`${bold('kgate demo')} — simulated EKS world, real kubectl ${binary.minor} (${binary.path})\n`);
    for (const e of world.endpoints) process.stdout.write(`  ${e.name.padEnd(28)} ${e.url}\n`);

    process.stdout.write(`  ${'kgate policy service'.padEnd(28)} ${policyServer.url}\n`);

    const admin = (args: string[]) => kubectl(args, { kubeconfig: world.kubeconfig });
    const pods = await admin(['get', 'pods', '-A']);
    show('The cluster, as its administrator sees it', 'kubectl get pods -A', pods.stdout);
    expectThat(pods.code === 0 && pods.stdout.includes('prod'), 'pods listed');

    // A CI job: GitHub Actions hands it an OIDC token per run; no secret is stored anywhere.
    const ciState = mkdtempSync(join(tmpdir(), 'kgate-demo-ci-'));
    const ciEnv = {
      ...world.env,
      KGATE_CLIENT_ID: 'kgate-cli',
      KGATE_CLIENT_SECRET: '',
      ACTIONS_ID_TOKEN_REQUEST_URL: world.env.SIM_GHA_TOKEN_REQUEST_URL,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: world.env.SIM_GHA_TOKEN_REQUEST_TOKEN,
      KGATE_STATE_DIR: ciState,
      KGATE_CONFIG_DIR: ciState,
      KGATE_TOKEN_STORAGE: 'file',
    };
    const kgate = (args: string[], env: NodeJS.ProcessEnv) => run(process.execPath, ['bin/run.js', ...args], env);
    const ciLogin = await kgate(['login', '--github-actions', '--issuer', world.env.SIM_GHA_ISSUER!], ciEnv);
    show('A CI job logs in with its GitHub Actions OIDC token (no static secret)', 'kgate login --github-actions', ciLogin.stdout + ciLogin.stderr);
    expectThat(ciLogin.code === 0, 'workload login');
    const ciGrant = await kgate(['grants', 'request', '--grant', 'read-only', '--reason', 'nightly report', '--issuer', world.env.SIM_GHA_ISSUER!], ciEnv);
    show('…and asks for the read-only grant: policy lets it in at once', 'kgate grants request --grant read-only --reason "nightly report"', ciGrant.stdout + ciGrant.stderr);
    expectThat(ciGrant.code === 0 && /active/.test(ciGrant.stdout), 'read-only grant active');

    // A developer's deploy grant needs an SRE lead: `npm run as` logs the sample people in for real.
    const envFile = join(mkdtempSync(join(tmpdir(), 'kgate-demo-env-')), 'env');
    writeFileSync(envFile, renderEnvFile(world.env), { mode: 0o600 });
    const as = (person: string, args: string[]) => run('npm', ['run', '--silent', 'as', '--', '--env-file', envFile, person, '--', 'kgate', ...args], {});
    const bobAsks = await as('bob', ['grants', 'request', '--grant', 'deploy', '--namespace', 'apps', '--reason', 'release 1.4', '--json']);
    const pending = JSON.parse(bobAsks.stdout) as { result?: { id: string; state: string; approvalId?: string } };
    show('bob (group dev) asks to deploy to apps: the grant waits for approval', 'kgate grants request --grant deploy --namespace apps --reason "release 1.4"', `${pending.result?.id}: ${pending.result?.state}`);
    expectThat(pending.result?.state === 'pending' && !!pending.result.approvalId, 'deploy grant pending');
    const bobSelf = await as('bob', ['approve', pending.result!.approvalId!]);
    show('bob cannot approve his own request', `kgate approve ${pending.result!.approvalId}`, bobSelf.stderr);
    expectThat(bobSelf.code !== 0, 'self-approval refused');
    const carolApproves = await as('carol', ['approve', pending.result!.approvalId!, '--reason', 'release window']);
    show('carol (sre-leads) approves', `kgate approve ${pending.result!.approvalId} --reason "release window"`, carolApproves.stdout + carolApproves.stderr);
    expectThat(carolApproves.code === 0, 'carol approves');
    const bobGrant = await as('bob', ['grants', 'show', pending.result!.id]);
    show('bob\'s grant is active now', `kgate grants show ${pending.result!.id}`, bobGrant.stdout);
    expectThat(/active/.test(bobGrant.stdout), 'deploy grant active');
    const bindings = await admin(['get', 'rolebindings', '-n', 'apps', '-l', 'kgate.dev/grant', '-o', 'wide']);
    show('The just-in-time binding kgate made for it, labelled with the grant', 'kubectl get rolebindings -n apps -l kgate.dev/grant -o wide', bindings.stdout);
    expectThat(bindings.stdout.includes(`kgate-grant-${pending.result!.id}`), 'binding exists');

    const eks = new EKSClient({ region: world.aws.region, endpoint: world.aws.eksEndpoint, credentials: world.aws.root, requestHandler: trustingHandler(world.tls.ca.cert) });
    const { cluster } = await eks.send(new DescribeClusterCommand({ name: world.clusterName }));
    eks.destroy();
    const credentials = await assumeRole(world.aws, world.tls.ca.cert, world.aws.roleArn, 'grant-demo');
    const token = await eksToken(world.aws, credentials, world.clusterName);
    const dir = mkdtempSync(join(tmpdir(), 'kgate-demo-'));
    writeFileSync(join(dir, 'ca.crt'), Buffer.from(cluster!.certificateAuthority!.data!, 'base64'));
    const grantConfig = writeKubeconfig({ server: cluster!.endpoint!, caFile: join(dir, 'ca.crt'), user: { token } });
    const asGrant = (args: string[]) => kubectl(args, { kubeconfig: grantConfig });
    process.stdout.write(`\n${bold('Underneath: what a grant is')}\n`);
    show('A grant-scoped EKS token (AssumeRole session grant-demo, presigned GetCallerIdentity)', 'kubectl auth whoami', (await asGrant(['auth', 'whoami'])).stdout);

    const denied = await asGrant(['get', 'pods', '-n', 'prod']);
    show('Without a RoleBinding the token can do nothing', 'kubectl get pods -n prod', denied.stderr);
    expectThat(denied.code === 1 && denied.stderr.includes('Forbidden'), 'forbidden before binding');

    await admin(['create', 'rolebinding', 'kgate-grant-demo', '-n', 'prod', '--clusterrole=view', '--user=kgate:grant-demo']);
    const allowed = await asGrant(['get', 'pods', '-n', 'prod']);
    show('A just-in-time RoleBinding (view in prod) lets it read', 'kubectl get pods -n prod', allowed.stdout);
    expectThat(allowed.code === 0 && allowed.stdout.includes('web'), 'allowed after binding');
    const canExec = await asGrant(['auth', 'can-i', 'create', 'pods/exec', '-n', 'prod']);
    show('…but only what the role allows', 'kubectl auth can-i create pods/exec -n prod', canExec.stdout);
    expectThat(canExec.code === 1, 'view cannot exec');

    const logs = await asGrant(['logs', '-n', 'prod', 'web', '--tail=2']);
    show('Pods are real processes: their logs are real output', 'kubectl logs -n prod web --tail=2', logs.stdout);

    const secret = await asGrant(['get', 'secret', 'db-credentials', '-n', 'prod', '-o', 'jsonpath={.data.password}']);
    show('view cannot read Secrets', 'kubectl get secret db-credentials -n prod', secret.stderr);
    expectThat(secret.code === 1, 'secret forbidden for view');

    await admin(['delete', 'rolebinding', 'kgate-grant-demo', '-n', 'prod']);
    const revoked = await asGrant(['get', 'pods', '-n', 'prod']);
    show('Revocation deletes the binding: the same token is refused at once', 'kubectl get pods -n prod', revoked.stderr);
    expectThat(revoked.code === 1 && revoked.stderr.includes('Forbidden'), 'forbidden after revocation');

    process.stdout.write(`\n${bold('demo finished')}: every step showed what it should.\n`);
  } finally {
    await policyServer.close();
    await world.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
