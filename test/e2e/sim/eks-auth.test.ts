/**
 * EKS authentication end to end: a token minted the way kgate mints it (real AWS SDK AssumeRole
 * against the simulated STS, a presigned GetCallerIdentity with the signed x-k8s-aws-id header)
 * is verified by the sim apiserver's EKS authenticator through the same STS, mapped by an access
 * entry, and authorized by RBAC for the real kubectl.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAws, type SimAws } from '../../sim/aws/index.js';
import { simAuthenticator } from '../../sim/kube/auth/authenticators.js';
import { defaultRbacObjects } from '../../sim/kube/auth/defaults.js';
import { EksTokenAuthenticator } from '../../sim/kube/auth/eks-token.js';
import { RBAC_KEYS, RbacAuthorizer } from '../../sim/kube/auth/rbac.js';
import { reviewHandlers } from '../../sim/kube/auth/reviews.js';
import { ServiceAccountTokens } from '../../sim/kube/auth/service-account-tokens.js';
import { seedCluster } from '../../sim/kube/seed.js';
import { startKubeApiServer, type KubeApiServer } from '../../sim/kube/server.js';
import { MemoryStore } from '../../sim/kube/store.js';
import { createSimTls, type SimTls } from '../../sim/tls.js';
import { assumeRole, eksToken, type Credentials } from '../../support/aws.js';
import { findKubectls, kubectl, writeKubeconfig } from '../../support/kubectl.js';

const CLUSTER = 'sim-cluster';
const ADMIN_TOKEN = 'sim-admin-token';

describe('EKS token authentication against the simulated STS', () => {
  let tls: SimTls;
  let aws: SimAws;
  let credentials: Credentials;
  let token: string;
  const stsLog: string[] = [];

  beforeAll(async () => {
    tls = await createSimTls();
    aws = await startAws({ tls, log: (l) => stsLog.push(l) });
    credentials = await assumeRole(aws, tls.ca.cert, aws.roleArn, 'grant-abc');
    token = await eksToken(aws, credentials, CLUSTER);
  });

  afterAll(async () => {
    await aws?.close();
  });

  function authenticator(overrides: Partial<ConstructorParameters<typeof EksTokenAuthenticator>[0]> = {}) {
    return new EksTokenAuthenticator({
      clusterId: CLUSTER,
      stsEndpoint: aws.stsEndpoint,
      ca: tls.ca.cert,
      accessEntries: [{ principalArn: aws.roleArn, username: 'kgate:{{SessionName}}', kubernetesGroups: ['kgate-grants'] }],
      ...overrides,
    });
  }

  it('maps the assumed role through its access entry to kgate:<session>, with EKS uid and extra', async () => {
    const user = await authenticator().authenticate(token);
    const sessionArn = `arn:aws:sts::${aws.accountId}:assumed-role/kgate-eks-access/grant-abc`;
    expect(user).toMatchObject({
      username: 'kgate:grant-abc',
      groups: ['kgate-grants', 'system:authenticated'],
      extra: {
        accessKeyId: [credentials.accessKeyId],
        arn: [sessionArn],
        canonicalArn: [aws.roleArn],
        sessionName: ['grant-abc'],
      },
    });
    const principalId = user!.extra!.principalId![0]!;
    expect(principalId).not.toContain(':');
    expect(user!.uid).toBe(`aws-iam-authenticator:${aws.accountId}:${principalId}`);
  });

  it('uses the EKS-generated username when the entry has none', async () => {
    const user = await authenticator({ accessEntries: [{ principalArn: aws.roleArn }] }).authenticate(token);
    expect(user?.username).toBe(`arn:aws:sts::${aws.accountId}:assumed-role/kgate-eks-access/grant-abc`);
  });

  it('calls STS once per token while the verification is cached', async () => {
    const cached = authenticator();
    const before = aws.stats()['sts:GetCallerIdentity'] ?? 0;
    expect(await cached.authenticate(token)).not.toBeNull();
    expect(await cached.authenticate(token)).not.toBeNull();
    expect(aws.stats()['sts:GetCallerIdentity']).toBe(before + 1);
  });

  it('refuses a principal without an access entry', async () => {
    const lines: string[] = [];
    const user = await authenticator({ accessEntries: [], log: (l) => lines.push(l) }).authenticate(token);
    expect(user).toBeNull();
    expect(lines).toEqual([`eks-token: no access entry for ${aws.roleArn}`]);
  });

  it('refuses what STS refuses: a token signed for another cluster, a tampered signature', async () => {
    const lines: string[] = [];
    const other = await eksToken(aws, credentials, 'another-cluster');
    expect(await authenticator({ log: (l) => lines.push(l) }).authenticate(other)).toBeNull();
    const url = Buffer.from(token.slice('k8s-aws-v1.'.length), 'base64url').toString();
    const tampered = url.replace(/X-Amz-Signature=([0-9a-f])/, (_m, c: string) => `X-Amz-Signature=${c === '0' ? '1' : '0'}`);
    expect(tampered).not.toBe(url);
    expect(await authenticator({ log: (l) => lines.push(l) }).authenticate(`k8s-aws-v1.${Buffer.from(tampered).toString('base64url')}`)).toBeNull();
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line).toMatch(/sts getCallerIdentity failed: error from AWS \(expected 200, got 403\)/);
  });

  it('refuses tokens for another STS host and tokens older than 15 minutes without calling STS', async () => {
    const before = aws.stats()['sts:GetCallerIdentity:SignatureDoesNotMatch'] ?? 0;
    const calls = aws.stats()['sts:GetCallerIdentity'] ?? 0;
    expect(await authenticator({ stsEndpoint: 'https://127.0.0.1:1' }).authenticate(token)).toBeNull();
    expect(await authenticator({ now: () => Date.now() + 16 * 60_000 }).authenticate(token)).toBeNull();
    expect(aws.stats()['sts:GetCallerIdentity'] ?? 0).toBe(calls);
    expect(aws.stats()['sts:GetCallerIdentity:SignatureDoesNotMatch'] ?? 0).toBe(before);
  });

  describe('with the real kubectl against the sim apiserver', () => {
    let server: KubeApiServer;
    let store: MemoryStore;
    let stopSeed: () => void;
    let kubeconfig: string;
    let caFile: string;
    const binding = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'grant-abc', namespace: 'team' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'kgate:grant-abc' }],
    };

    beforeAll(async () => {
      store = new MemoryStore();
      stopSeed = seedCluster(store, defaultRbacObjects());
      store.create({ group: '', resource: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } });
      const serviceAccountTokens = await ServiceAccountTokens.create({ store });
      const eks = authenticator({ cacheTtlMs: 0 });
      const authn = simAuthenticator({ adminToken: ADMIN_TOKEN, eks, serviceAccounts: serviceAccountTokens });
      const authorizer = new RbacAuthorizer(store);
      server = await startKubeApiServer({ tls, store, authenticator: authn, authorizer, handlers: { virtual: reviewHandlers({ authorizer, authenticator: authn, serviceAccountTokens }) } });
      const dir = mkdtempSync(join(tmpdir(), 'eks-auth-'));
      caFile = join(dir, 'ca.crt');
      writeFileSync(caFile, tls.ca.cert);
      kubeconfig = writeKubeconfig({ server: server.url, caFile, user: { token } });
    });

    afterAll(async () => {
      stopSeed?.();
      await server?.close();
    });

    it('is forbidden before a RoleBinding exists, allowed with one, forbidden again once it is deleted', async () => {
      const denied = await kubectl(['get', 'pods', '-n', 'team'], { kubeconfig });
      expect(denied.code).toBe(1);
      expect(denied.stderr).toContain('pods is forbidden: User "kgate:grant-abc" cannot list resource "pods" in API group "" in the namespace "team"');
      const cannot = await kubectl(['auth', 'can-i', 'list', 'pods', '-n', 'team'], { kubeconfig });
      expect([cannot.code, cannot.stdout.trim()]).toEqual([1, 'no']);

      store.create(RBAC_KEYS.roleBindings, binding);
      const allowed = await kubectl(['get', 'pods', '-n', 'team'], { kubeconfig });
      expect([allowed.code, allowed.stderr.trim()]).toEqual([0, 'No resources found in team namespace.']);
      const can = await kubectl(['auth', 'can-i', 'list', 'pods', '-n', 'team'], { kubeconfig });
      expect([can.code, can.stdout.trim()]).toEqual([0, 'yes']);
      const cannotExec = await kubectl(['auth', 'can-i', 'create', 'pods/exec', '-n', 'team'], { kubeconfig });
      expect([cannotExec.code, cannotExec.stdout.trim()]).toEqual([1, 'no']);
      const list = await kubectl(['auth', 'can-i', '--list', '-n', 'team'], { kubeconfig });
      expect(list.code).toBe(0);
      expect(list.stdout).toMatch(/^pods\s+\[\]\s+\[\]\s+\[get list watch\]$/m);
      expect(list.stdout).toMatch(/^selfsubjectaccessreviews\.authorization\.k8s\.io\s+\[\]\s+\[\]\s+\[create\]$/m);

      store.delete(RBAC_KEYS.roleBindings, 'team', 'grant-abc');
      const deniedAgain = await kubectl(['get', 'pods', '-n', 'team'], { kubeconfig });
      expect(deniedAgain.code).toBe(1);
      expect(deniedAgain.stderr).toContain('forbidden');
    });

    it('kubectl auth whoami shows the mapped username and groups', async () => {
      const whoami = await kubectl(['auth', 'whoami', '-o', 'json'], { kubeconfig });
      expect(whoami.code).toBe(0);
      const review = JSON.parse(whoami.stdout) as { status: { userInfo: { username: string; groups: string[]; extra: Record<string, string[]> } } };
      expect(review.status.userInfo.username).toBe('kgate:grant-abc');
      expect(review.status.userInfo.groups).toEqual(['kgate-grants', 'system:authenticated']);
      expect(review.status.userInfo.extra.sessionName).toEqual(['grant-abc']);
      for (const binary of await findKubectls()) {
        const table = await kubectl(['auth', 'whoami'], { kubeconfig, binary: binary.path });
        expect([binary.minor, table.stdout]).toEqual([binary.minor, expect.stringMatching(/Username\s+kgate:grant-abc/)]);
        const can = await kubectl(['auth', 'can-i', 'get', '/version'], { kubeconfig, binary: binary.path });
        expect([binary.minor, can.code, can.stdout.trim()]).toEqual([binary.minor, 0, 'yes']);
      }
    });

    it('kubectl create token mints a ServiceAccount token that stops working when the ServiceAccount is deleted', async () => {
      const admin = writeKubeconfig({ server: server.url, caFile, user: { token: ADMIN_TOKEN } });
      const created = await kubectl(['create', 'serviceaccount', 'bot', '-n', 'team'], { kubeconfig: admin });
      expect(created.code).toBe(0);
      const minted = await kubectl(['create', 'token', 'bot', '-n', 'team', '--duration', '20m'], { kubeconfig: admin });
      expect(minted.code).toBe(0);
      const bot = writeKubeconfig({ server: server.url, caFile, user: { token: minted.stdout.trim() } });
      const whoami = await kubectl(['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'], { kubeconfig: bot });
      expect([whoami.code, whoami.stdout]).toEqual([0, 'system:serviceaccount:team:bot']);
      const denied = await kubectl(['get', 'secrets', '-n', 'team'], { kubeconfig: bot });
      expect(denied.stderr).toContain('User "system:serviceaccount:team:bot" cannot list resource "secrets"');
      expect((await kubectl(['delete', 'serviceaccount', 'bot', '-n', 'team'], { kubeconfig: admin })).code).toBe(0);
      const gone = await kubectl(['auth', 'whoami'], { kubeconfig: bot });
      expect(gone.code).toBe(1);
      expect(gone.stderr).toMatch(/Unauthorized|must be logged in/);
    });

    it('answers 401 for a token without an access entry', async () => {
      const stranger = await eksToken(aws, await assumeRole(aws, tls.ca.cert, aws.addRole({ name: 'stranger' }), 'stranger-session'), CLUSTER);
      const config = writeKubeconfig({ server: server.url, caFile, user: { token: stranger } });
      const result = await kubectl(['get', 'pods', '-n', 'team'], { kubeconfig: config });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/Unauthorized|must be logged in/);
    });
  });
});
