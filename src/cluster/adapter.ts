/**
 * What the policy service asks of a cluster: grant-scoped credentials, and short-lived RBAC
 * bindings that exist exactly while a grant is active.
 */
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import type { ClusterCredential, Grant } from '../policy/types.js';

/** A logger shaped like pino's (fields first, then the message); console-like loggers fit too. */
export interface ClusterLog {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/** One cluster as the policy service drives it. Every method throws only {@link ClusterError}. */
export interface ClusterAdapter {
  /** A token for an active grant, with the apiserver URL and CA to use it with. */
  credential(grant: Grant): Promise<ClusterCredential>;
  /**
   * Creates (or refreshes) the grant's bindings: a RoleBinding per granted namespace, or one
   * ClusterRoleBinding for `['*']`. Idempotent. On failure nothing of the grant is left behind.
   */
  ensureAccess(grant: Grant): Promise<void>;
  /** Deletes every object labelled for the grant and forgets cached credentials for it. */
  revokeAccess(grant: Pick<Grant, 'id'>): Promise<void>;
  /**
   * Deletes every kgate-labelled binding and ServiceAccount whose grant is not in `activeGrantIds`
   * or whose `kgate.dev/expires-at` has passed; returns what it removed (`Kind/namespace/name`).
   */
  reconcile(activeGrantIds: ReadonlySet<string>): Promise<{ removed: string[] }>;
  /** Releases clients and caches. */
  close(): Promise<void>;
}

/** What {@link createClusterAdapter} needs besides the cluster's policy entry. */
export interface ClusterAdapterDeps {
  log: ClusterLog;
  /** Clock in epoch ms; default `Date.now`. */
  now?: () => number;
  /**
   * Path of a kubeconfig the service uses to manage bindings instead of its own EKS identity
   * (for `type: eks`; a `type: kubernetes` cluster always uses its own kubeconfig).
   */
  adminKubeconfig?: string;
  /** The service's own AWS identity; default the Node provider chain. */
  awsCredentials?: AwsCredentialIdentityProvider;
  /** Namespace of per-grant ServiceAccounts on generic clusters; default `kgate-system`. */
  serviceAccountNamespace?: string;
}
