/**
 * What a grant is underneath, shown with the sim's AWS and plain kubectl: an STS session whose
 * presigned EKS token RBAC refuses until the just-in-time RoleBinding exists, and again the
 * moment the binding is deleted (revocation).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { assumeRole, eksToken, trustingHandler } from '../../test/support/aws.js';
import { kubectl, writeKubeconfig } from '../../test/support/kubectl.js';
import { expectThat, section, show, type Run } from './console.js';
import type { DemoContext } from './context.js';

/** Runs the steps that show a grant's EKS token before, with and after its RoleBinding. */
export async function underneath({ world, admin }: DemoContext): Promise<void> {
  const eks = new EKSClient({ region: world.aws.region, endpoint: world.aws.eksEndpoint, credentials: world.aws.root, requestHandler: trustingHandler(world.tls.ca.cert) });
  const { cluster } = await eks.send(new DescribeClusterCommand({ name: world.clusterName }));
  eks.destroy();
  const credentials = await assumeRole(world.aws, world.tls.ca.cert, world.aws.roleArn, 'grant-demo');
  const token = await eksToken(world.aws, credentials, world.clusterName);
  const dir = mkdtempSync(join(tmpdir(), 'kgate-demo-eks-'));
  writeFileSync(join(dir, 'ca.crt'), Buffer.from(cluster!.certificateAuthority!.data!, 'base64'));
  const grantConfig = writeKubeconfig({ server: cluster!.endpoint!, caFile: join(dir, 'ca.crt'), user: { token } });
  const asGrant = (args: string[]) => kubectl(args, { kubeconfig: grantConfig });
  try {
    await steps(asGrant, admin);
  } finally {
    await rm(dir, { recursive: true, force: true });
    await rm(dirname(grantConfig), { recursive: true, force: true });
  }
}

async function steps(asGrant: (args: string[]) => Promise<Run>, admin: DemoContext['admin']): Promise<void> {
  section('Underneath: what a grant is');
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
  const secret = await asGrant(['get', 'secret', 'db-credentials', '-n', 'prod', '-o', 'jsonpath={.data.password}']);
  show('view cannot read Secrets', 'kubectl get secret db-credentials -n prod', secret.stderr);
  expectThat(secret.code === 1, 'secret forbidden for view');

  await admin(['delete', 'rolebinding', 'kgate-grant-demo', '-n', 'prod']);
  const revoked = await asGrant(['get', 'pods', '-n', 'prod']);
  show('Revocation deletes the binding: the same token is refused at once', 'kubectl get pods -n prod', revoked.stderr);
  expectThat(revoked.code === 1 && revoked.stderr.includes('Forbidden'), 'forbidden after revocation');
}
