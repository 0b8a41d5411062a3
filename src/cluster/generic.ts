/**
 * Any Kubernetes cluster reached through a kubeconfig (kind, GKE, the sim): each grant gets its own
 * ServiceAccount `kgate-grant-<id>` in the kgate namespace, bound like an EKS grant's user, and its
 * tokens come from the TokenRequest API. Deleting the ServiceAccount at revocation invalidates every
 * token issued for it at once.
 */
import type { ClusterCredential, ClusterConfig, Grant } from '../policy/types.js';
import type { ClusterAdapter, ClusterAdapterDeps } from './adapter.js';
import { BindingManager } from './bindings.js';
import { ClusterError, ClusterErrorCode } from './errors.js';
import { assertActive } from './grant-state.js';
import { kubeconfigTarget, type KubeApis, type KubeTarget } from './kube-client.js';
import { kubeError, kubeStatusCode } from './kube-errors.js';
import { checkGrantId, checkNamespace, grantAnnotations, grantLabels, grantObjectName } from './names.js';

export type KubernetesClusterConfig = Extract<ClusterConfig, { type: 'kubernetes' }>;

/** Where per-grant ServiceAccounts live unless configured otherwise. */
export const DEFAULT_SERVICE_ACCOUNT_NAMESPACE = 'kgate-system';
/** TokenRequest refuses shorter lifetimes. */
const MIN_TOKEN_SECONDS = 600;
/** Tokens are kept short even for long grants; the broker asks again. */
const MAX_TOKEN_SECONDS = 3600;

/** The ClusterAdapter of a `type: kubernetes` cluster. */
export class GenericClusterAdapter implements ClusterAdapter {
  private readonly namespace: string;
  private readonly now: () => number;
  private readonly bindings: BindingManager;
  private target?: Promise<KubeTarget>;
  private namespaceReady = false;

  constructor(private readonly config: KubernetesClusterConfig, private readonly deps: ClusterAdapterDeps) {
    this.namespace = checkNamespace(deps.serviceAccountNamespace ?? DEFAULT_SERVICE_ACCOUNT_NAMESPACE);
    this.now = deps.now ?? Date.now;
    this.bindings = new BindingManager({
      cluster: config.name,
      apis: async () => (await this.connect()).apis,
      now: this.now,
      log: deps.log,
    });
  }

  /** A TokenRequest token for the grant's ServiceAccount, expiring no later than the grant (TokenRequest's 10-minute floor aside). */
  async credential(grant: Grant): Promise<ClusterCredential> {
    const name = grantObjectName(grant.id);
    const grantEnds = assertActive(grant, this.now());
    const target = await this.connect();
    const seconds = Math.min(MAX_TOKEN_SECONDS, Math.max(MIN_TOKEN_SECONDS, Math.floor((grantEnds - this.now()) / 1000)));
    let status;
    try {
      ({ status } = await target.apis.core.createNamespacedServiceAccountToken({
        namespace: this.namespace,
        name,
        body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { audiences: [], expirationSeconds: seconds } },
      }));
    } catch (error) {
      if (kubeStatusCode(error) === 404) {
        throw new ClusterError(ClusterErrorCode.NotBound, `Grant ${grant.id} has no ServiceAccount in cluster ${this.config.name}`, { status: 404, suggestions: ['Activate the grant (ensureAccess) before minting credentials.'] });
      }
      throw kubeError(error, `request a token for ServiceAccount ${this.namespace}/${name} in cluster ${this.config.name}`);
    }
    if (!status?.token) throw new ClusterError(ClusterErrorCode.KubeError, `The TokenRequest for ${this.namespace}/${name} returned no token`);
    const tokenEnds = status.expirationTimestamp ? new Date(status.expirationTimestamp).getTime() : this.now() + seconds * 1000;
    return { server: target.server, caData: target.caData, token: status.token, expiresAt: Math.min(tokenEnds, grantEnds) };
  }

  /** Creates the grant's ServiceAccount (and the kgate namespace when missing), then its bindings. */
  async ensureAccess(grant: Grant): Promise<void> {
    const id = checkGrantId(grant.id);
    const expiresAt = assertActive(grant, this.now());
    const name = grantObjectName(id);
    try {
      const { apis } = await this.connect();
      await this.ensureNamespace(apis);
      await this.bindings.apply(apis, 'ServiceAccount', this.namespace, {
        metadata: { name, namespace: this.namespace, labels: grantLabels(id), annotations: grantAnnotations(expiresAt, grant.principal) },
      });
    } catch (error) {
      await this.bindings.revoke(id).catch(() => undefined);
      throw kubeError(error, `create ServiceAccount ${this.namespace}/${name} in cluster ${this.config.name}`);
    }
    await this.bindings.ensure(grant, { kind: 'ServiceAccount', name, namespace: this.namespace });
  }

  async revokeAccess(grant: Pick<Grant, 'id'>): Promise<void> {
    await this.bindings.revoke(checkGrantId(grant.id));
  }

  async reconcile(activeGrantIds: ReadonlySet<string>): Promise<{ removed: string[] }> {
    return { removed: await this.bindings.reconcile(activeGrantIds) };
  }

  async close(): Promise<void> {
    this.target = undefined;
  }

  private connect(): Promise<KubeTarget> {
    this.target ??= kubeconfigTarget(this.config.kubeconfig, this.config.context);
    this.target.catch(() => (this.target = undefined));
    return this.target;
  }

  private async ensureNamespace(apis: KubeApis): Promise<void> {
    if (this.namespaceReady) return;
    const what = `create namespace ${this.namespace} in cluster ${this.config.name}`;
    try {
      await apis.core.readNamespace({ name: this.namespace });
    } catch (error) {
      if (kubeStatusCode(error) !== 404) throw kubeError(error, `read namespace ${this.namespace} in cluster ${this.config.name}`);
      try {
        await apis.core.createNamespace({ body: { metadata: { name: this.namespace, labels: { 'app.kubernetes.io/managed-by': 'kgate' } } } });
      } catch (createError) {
        if (kubeStatusCode(createError) !== 409) throw kubeError(createError, what);
      }
    }
    this.namespaceReady = true;
  }
}
