/**
 * The whole simulated EKS world on loopback: an OpenID Provider, a GitHub-Actions-like issuer, STS
 * and EKS, and a kube-apiserver whose pods are real local processes. Used in-process by tests and
 * by `npm run sim` (main.ts).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAws, type SimAws } from './aws/index.js';
import { startGhaIssuer, type GhaIssuer } from './idp/github-actions.js';
import { startIdp, type SimIdp } from './idp/provider.js';
import { simAuthenticator } from './kube/auth/authenticators.js';
import { defaultRbacObjects } from './kube/auth/defaults.js';
import { EksTokenAuthenticator } from './kube/auth/eks-token.js';
import { RbacAuthorizer } from './kube/auth/rbac.js';
import { reviewHandlers } from './kube/auth/reviews.js';
import { ServiceAccountTokens } from './kube/auth/service-account-tokens.js';
import { createPodRuntime, type PodRuntime } from './kube/pods/index.js';
import { seedCluster } from './kube/seed.js';
import { startKubeApiServer, type KubeApiServer } from './kube/server.js';
import { MemoryStore } from './kube/store.js';
import { sampleWorkloads } from './sample-workloads.js';
import type { KubeObject } from './kube/types.js';
import { createSimTls, type SimTls } from './tls.js';

export interface SimWorldOptions {
  /** Receives what the sim could not serve and other notable events, prefixed by component. */
  log?: (line: string) => void;
  /** Name of the EKS cluster; default `kgate-sim`. */
  clusterName?: string;
  /** Access-token lifetime at the IdP; default 600 s. */
  accessTokenTtlSeconds?: number;
  /** Seed `prod` and `staging` with secrets, config and running pods; default true. */
  sampleWorkloads?: boolean;
}

export interface SimWorld {
  tls: SimTls;
  /** Scratch directory holding ca.crt, the admin kubeconfig and pod working directories. */
  dir: string;
  caFile: string;
  kubeconfig: string;
  adminToken: string;
  clusterName: string;
  idp: SimIdp;
  gha: GhaIssuer;
  aws: SimAws;
  store: MemoryStore;
  eksAuthenticator: EksTokenAuthenticator;
  apiServer: KubeApiServer;
  /** `{ name, url }` for each endpoint, in start order. */
  endpoints: { name: string; url: string }[];
  /** The variables `npm run sim -- --env-file` writes. */
  env: Record<string, string>;
  close(): Promise<void>;
}

/** The username template kgate's grants rely on: the STS session name is `grant-<id>`. */
export const GRANT_USERNAME_TEMPLATE = 'kgate:{{SessionName}}';
/** Who the policy service is in the cluster (its AWS identity is the sim's IAM user `kgate-sim-admin`). */
export const POLICY_SERVICE_USERNAME = 'kgate-server';
export const POLICY_SERVICE_GROUP = 'kgate:servers';

/**
 * The least the policy service needs: manage bindings and per-grant ServiceAccounts, mint their
 * tokens, create its own namespace, and `bind` the roles it hands out (RBAC's escalation check).
 */
export function policyServiceRbac(): KubeObject[] {
  const all = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'];
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'kgate-server', labels: { 'app.kubernetes.io/managed-by': 'kgate' } },
      rules: [
        { apiGroups: ['rbac.authorization.k8s.io'], resources: ['rolebindings', 'clusterrolebindings'], verbs: all },
        { apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles'], verbs: ['get', 'list', 'watch', 'bind'] },
        { apiGroups: [''], resources: ['serviceaccounts'], verbs: all },
        { apiGroups: [''], resources: ['serviceaccounts/token'], verbs: ['create'] },
        { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list', 'watch', 'create'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'kgate-server', labels: { 'app.kubernetes.io/managed-by': 'kgate' } },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'kgate-server' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: POLICY_SERVICE_GROUP }],
    },
  ];
}

/** Starts every component; on failure stops what already started. */
export async function startSimWorld(opts: SimWorldOptions = {}): Promise<SimWorld> {
  const log = opts.log ?? (() => undefined);
  const tagged = (tag: string) => (line: string) => log(`${tag}: ${line}`);
  const clusterName = opts.clusterName ?? 'kgate-sim';
  const closers: (() => Promise<void> | void)[] = [];
  const closeAll = async () => {
    for (const close of closers.reverse()) await Promise.resolve(close()).catch((error: unknown) => log(`close: ${String(error)}`));
  };
  try {
    const dir = await mkdtemp(join(tmpdir(), 'kgate-sim-'));
    closers.push(() => rm(dir, { recursive: true, force: true }));
    const tls = await createSimTls();
    const caFile = join(dir, 'ca.crt');
    await writeFile(caFile, tls.ca.cert);

    const idp = await startIdp({ tls, accessTokenTtlSeconds: opts.accessTokenTtlSeconds, log: tagged('idp') });
    closers.push(() => idp.close());
    const gha = await startGhaIssuer({ tls, log: tagged('gha') });
    closers.push(() => gha.close());
    const aws = await startAws({
      tls,
      log: tagged('aws'),
      // Real STS accepts a presigned GetCallerIdentity for 15 minutes whatever X-Amz-Expires says.
      presignedLifetime: 'fifteen-minutes',
      webIdentityIssuers: [{ issuer: idp.issuer }, { issuer: gha.issuer }],
    });
    closers.push(() => aws.close());

    const store = new MemoryStore();
    const stopSeed = seedCluster(store, [...defaultRbacObjects(), ...policyServiceRbac(), ...(opts.sampleWorkloads === false ? [] : sampleWorkloads())]);
    closers.push(stopSeed);
    const serviceAccountTokens = await ServiceAccountTokens.create({ store, log: tagged('kube') });
    const eksAuthenticator = new EksTokenAuthenticator({
      clusterId: clusterName,
      stsEndpoint: aws.stsEndpoint,
      ca: tls.ca.cert,
      accessEntries: [
        { principalArn: aws.roleArn, username: GRANT_USERNAME_TEMPLATE },
        // The policy service's own AWS identity manages the JIT bindings, and nothing else.
        { principalArn: `arn:aws:iam::${aws.accountId}:user/kgate-sim-admin`, username: POLICY_SERVICE_USERNAME, kubernetesGroups: [POLICY_SERVICE_GROUP] },
      ],
      log: tagged('kube'),
    });
    const adminToken = randomBytes(24).toString('base64url');
    const authenticator = simAuthenticator({ adminToken, eks: eksAuthenticator, serviceAccounts: serviceAccountTokens });
    const authorizer = new RbacAuthorizer(store);
    const pods: PodRuntime = createPodRuntime({ store, workDir: join(dir, 'pods'), log: tagged('pods') });
    closers.push(() => pods.close());
    const apiServer = await startKubeApiServer({
      tls,
      store,
      authenticator,
      authorizer,
      handlers: {
        virtual: reviewHandlers({ authorizer, authenticator, serviceAccountTokens, log: tagged('kube') }),
        podLog: (ctx) => pods.handleLog(ctx),
        upgrade: (ctx) => pods.handleUpgrade(ctx),
      },
      log: tagged('kube'),
    });
    closers.push(() => apiServer.close());
    aws.addCluster({ name: clusterName, endpoint: apiServer.url, caData: tls.ca.cert });

    const kubeconfig = join(dir, 'admin.kubeconfig');
    await writeFile(kubeconfig, adminKubeconfig({ server: apiServer.url, caData: tls.ca.cert, token: adminToken, clusterName }), { mode: 0o600 });

    const machines = Object.values(idp.machines);
    const ciDeployer = idp.machines['ci-deployer'];
    const env: Record<string, string> = {
      KGATE_ISSUER: idp.issuer,
      KGATE_CLIENT_ID: ciDeployer.clientId,
      KGATE_CLIENT_SECRET: ciDeployer.clientSecret,
      KGATE_AUDIENCE: idp.audience,
      KGATE_CA_FILE: caFile,
      SIM_CLI_CLIENT_ID: idp.cliClientId,
      ...Object.fromEntries(machines.flatMap((m) => {
        const name = m.clientId.toUpperCase().replace(/[^A-Z0-9]/g, '_');
        return [[`SIM_${name}_CLIENT_ID`, m.clientId], [`SIM_${name}_CLIENT_SECRET`, m.clientSecret]];
      })),
      ...Object.fromEntries(Object.values(idp.people).flatMap((p) => [[`SIM_${p.username.toUpperCase()}_PASSWORD`, p.password]])),
      SIM_API_SERVER: apiServer.url,
      SIM_CA_FILE: caFile,
      SIM_KUBECONFIG: kubeconfig,
      SIM_CLUSTER_NAME: clusterName,
      SIM_ROLE_ARN: aws.roleArn,
      SIM_STS_ENDPOINT: aws.stsEndpoint,
      SIM_EKS_ENDPOINT: aws.eksEndpoint,
      AWS_REGION: aws.region,
      SIM_AWS_ACCESS_KEY_ID: aws.root.accessKeyId,
      SIM_AWS_SECRET_ACCESS_KEY: aws.root.secretAccessKey,
      SIM_GHA_ISSUER: gha.issuer,
      SIM_GHA_TOKEN_REQUEST_URL: gha.requestUrl,
      SIM_GHA_TOKEN_REQUEST_TOKEN: gha.requestToken,
    };
    return {
      tls, dir, caFile, kubeconfig, adminToken, clusterName, idp, gha, aws, store, eksAuthenticator, apiServer, env,
      endpoints: [
        { name: 'OpenID Provider', url: idp.issuer },
        { name: 'GitHub Actions OIDC', url: gha.issuer },
        { name: 'AWS STS', url: aws.stsEndpoint },
        { name: 'AWS EKS', url: aws.eksEndpoint },
        { name: `kube-apiserver (${clusterName})`, url: apiServer.url },
      ],
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/** An admin kubeconfig (YAML-compatible JSON) for the sim's static admin token. */
export function adminKubeconfig(opts: { server: string; caData: string; token: string; clusterName: string }): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: opts.clusterName, cluster: { server: opts.server, 'certificate-authority-data': Buffer.from(opts.caData).toString('base64') } }],
    users: [{ name: 'sim-admin', user: { token: opts.token } }],
    contexts: [{ name: `sim-admin@${opts.clusterName}`, context: { cluster: opts.clusterName, user: 'sim-admin' } }],
    'current-context': `sim-admin@${opts.clusterName}`,
  }, null, 2);
}
