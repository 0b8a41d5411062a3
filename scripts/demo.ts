/**
 * `npm run demo`: starts the simulated EKS world and walks through what kgate builds on, with the
 * real kubectl. Later issues grow this into the full governed flow (login, grant, broker, masking,
 * approvals, audit). Each step prints what it shows and checks it; any surprise exits 1.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
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

async function main(): Promise<void> {
  const world = await startSimWorld();
  try {
    const binary = await kubectlBinary();
    process.stdout.write(`${bold('kgate demo')} — simulated EKS world, real kubectl ${binary.minor} (${binary.path})\n`);
    for (const e of world.endpoints) process.stdout.write(`  ${e.name.padEnd(28)} ${e.url}\n`);

    const admin = (args: string[]) => kubectl(args, { kubeconfig: world.kubeconfig });
    const pods = await admin(['get', 'pods', '-A']);
    show('The cluster, as its administrator sees it', 'kubectl get pods -A', pods.stdout);
    expectThat(pods.code === 0 && pods.stdout.includes('prod'), 'pods listed');

    const eks = new EKSClient({ region: world.aws.region, endpoint: world.aws.eksEndpoint, credentials: world.aws.root, requestHandler: trustingHandler(world.tls.ca.cert) });
    const { cluster } = await eks.send(new DescribeClusterCommand({ name: world.clusterName }));
    eks.destroy();
    const credentials = await assumeRole(world.aws, world.tls.ca.cert, world.aws.roleArn, 'grant-demo');
    const token = await eksToken(world.aws, credentials, world.clusterName);
    const dir = mkdtempSync(join(tmpdir(), 'kgate-demo-'));
    writeFileSync(join(dir, 'ca.crt'), Buffer.from(cluster!.certificateAuthority!.data!, 'base64'));
    const grantConfig = writeKubeconfig({ server: cluster!.endpoint!, caFile: join(dir, 'ca.crt'), user: { token } });
    const asGrant = (args: string[]) => kubectl(args, { kubeconfig: grantConfig });
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
    await world.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
