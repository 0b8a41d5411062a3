/**
 * An EKS cluster: grant tokens through AssumeRole (session `grant-<id>`, mapped by the cluster's
 * access entry to `kgate:grant-<id>`), bindings managed with the service's own EKS identity (or an
 * admin kubeconfig), endpoint and CA from a cached DescribeCluster.
 */
import type { ClusterCredential, Grant } from '../policy/types.js';
import type { ClusterAdapter, ClusterAdapterDeps } from './adapter.js';
import { AwsClients, type EksClusterConfig } from './aws-clients.js';
import { BindingManager } from './bindings.js';
import { EksClusterInfo } from './eks-cluster-info.js';
import { EksCredentials } from './eks-credentials.js';
import { kubeconfigTarget, tokenTarget, type KubeApis } from './kube-client.js';
import { checkGrantId, eksUsername } from './names.js';

/** The service's own token is replaced this long before the cluster would refuse it. */
const SERVICE_TOKEN_REFRESH_MS = 60_000;

interface Connection {
  apis: KubeApis;
  /** Epoch ms; Infinity for a kubeconfig connection. */
  expiresAt: number;
}

/** The ClusterAdapter of a `type: eks` cluster. */
export class EksClusterAdapter implements ClusterAdapter {
  private readonly now: () => number;
  private readonly aws: AwsClients;
  private readonly info: EksClusterInfo;
  private readonly credentials: EksCredentials;
  private readonly bindings: BindingManager;
  private connection?: Promise<Connection>;

  /** @throws ClusterError KGATE_CLUSTER_CONFIG when the username template cannot map grants */
  constructor(private readonly config: EksClusterConfig, private readonly deps: ClusterAdapterDeps) {
    eksUsername(config.usernameTemplate, 'check', config.roleArn);
    this.now = deps.now ?? Date.now;
    this.aws = new AwsClients(config, deps.awsCredentials);
    this.info = new EksClusterInfo(this.aws, config.clusterName, { now: this.now, warn: (fields, message) => deps.log.warn(fields, message) });
    this.credentials = new EksCredentials(config, this.aws, this.info, this.now);
    this.bindings = new BindingManager({
      cluster: config.name,
      apis: async () => (await this.connect()).apis,
      now: this.now,
      log: deps.log,
      onConnectionError: () => {
        this.connection = undefined;
        this.info.invalidate();
      },
    });
  }

  credential(grant: Grant): Promise<ClusterCredential> {
    return this.credentials.credential(grant);
  }

  async ensureAccess(grant: Grant): Promise<void> {
    const username = eksUsername(this.config.usernameTemplate, grant.id, this.config.roleArn);
    await this.bindings.ensure(grant, { kind: 'User', name: username });
  }

  async revokeAccess(grant: Pick<Grant, 'id'>): Promise<void> {
    const id = checkGrantId(grant.id);
    this.credentials.forget(id);
    await this.bindings.revoke(id);
  }

  async reconcile(activeGrantIds: ReadonlySet<string>): Promise<{ removed: string[] }> {
    return { removed: await this.bindings.reconcile(activeGrantIds) };
  }

  async close(): Promise<void> {
    this.credentials.clear();
    this.connection = undefined;
    await this.aws.close();
  }

  /** The service's own API connection, re-minted shortly before its EKS token runs out. */
  private async connect(): Promise<Connection> {
    const current = this.connection;
    if (current) {
      const c = await current.catch(() => undefined);
      if (c && c.expiresAt - this.now() > SERVICE_TOKEN_REFRESH_MS) return c;
      if (this.connection === current) this.connection = undefined;
    }
    this.connection ??= this.open();
    this.connection.catch(() => (this.connection = undefined));
    return this.connection;
  }

  private async open(): Promise<Connection> {
    if (this.deps.adminKubeconfig) {
      return { apis: (await kubeconfigTarget(this.deps.adminKubeconfig)).apis, expiresAt: Number.POSITIVE_INFINITY };
    }
    const [endpoint, token] = await Promise.all([this.info.get(), this.credentials.serviceToken()]);
    return { apis: (await tokenTarget(endpoint, token.token)).apis, expiresAt: token.expiresAt };
  }
}
