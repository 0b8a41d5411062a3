/**
 * Just-in-time RBAC: the RoleBindings (or ClusterRoleBinding) that give a grant's subject its
 * ClusterRole while the grant is active, and the sweep that removes whatever outlived its grant.
 * Every object is named `kgate-grant-<id>`, labelled `kgate.dev/grant=<id>` and
 * `app.kubernetes.io/managed-by=kgate`, and annotated with its expiry and principal.
 */
import type { Grant } from '../policy/types.js';
import type { ClusterLog } from './adapter.js';
import { ClusterError, ClusterErrorCode } from './errors.js';
import { assertActive } from './grant-state.js';
import type { KubeApis } from './kube-client.js';
import { isNamespaceNotFound, kubeError, kubeStatusCode } from './kube-errors.js';
import { deleteObject, describeRef, kindOps, listObjects, type KubeObject, type ManagedKind, type ObjectRef } from './kube-objects.js';
import {
  EXPIRES_AT_ANNOTATION, GRANT_LABEL, MANAGED_SELECTOR, checkClusterRole, checkGrantId, checkNamespace, grantAnnotations,
  grantLabels, grantObjectName, grantSelector, isGrantId,
} from './names.js';

const RBAC_GROUP = 'rbac.authorization.k8s.io';
const MANAGED_KINDS: readonly ManagedKind[] = ['RoleBinding', 'ClusterRoleBinding', 'ServiceAccount'];

/** Who a grant's bindings give the role to. */
export type BindingSubject =
  | { kind: 'User'; name: string }
  | { kind: 'ServiceAccount'; name: string; namespace: string };

export interface BindingManagerOptions {
  /** Cluster name from the policy, for messages and logs. */
  cluster: string;
  /** The service's own API connection (may mint a fresh token each time it is asked). */
  apis: () => Promise<KubeApis>;
  now: () => number;
  log: ClusterLog;
  /** Told about errors a fresh connection might fix (401, unreachable), to drop cached endpoints or tokens. */
  onConnectionError?: (error: ClusterError) => void;
}

/** Namespaces of a grant: `null` for cluster-wide (`['*']`), else checked DNS labels. */
export function bindingScope(namespaces: readonly string[]): string[] | null {
  if (namespaces.length === 1 && namespaces[0] === '*') return null;
  if (namespaces.length === 0 || namespaces.includes('*')) {
    throw new ClusterError(ClusterErrorCode.InvalidName, namespaces.length === 0 ? 'The grant names no namespace' : "A grant is either cluster-wide (['*']) or names namespaces, not both");
  }
  return [...new Set(namespaces.map(checkNamespace))];
}

/** The RBAC subject entry for a binding. */
function subjectEntry(subject: BindingSubject): NonNullable<KubeObject['subjects']>[number] {
  return subject.kind === 'User'
    ? { kind: 'User', apiGroup: RBAC_GROUP, name: subject.name }
    : { kind: 'ServiceAccount', name: subject.name, namespace: checkNamespace(subject.namespace) };
}

/** Creates, refreshes, revokes and reconciles the objects of grants in one cluster. */
export class BindingManager {
  constructor(private readonly opts: BindingManagerOptions) {}

  /**
   * Binds the grant's ClusterRole to `subject` in each granted namespace (or cluster-wide).
   * Idempotent; when any binding fails, the grant's objects are removed again and the error thrown.
   */
  async ensure(grant: Grant, subject: BindingSubject): Promise<void> {
    const id = checkGrantId(grant.id);
    const expiresAt = assertActive(grant, this.opts.now());
    const scope = bindingScope(grant.namespaces);
    const body: KubeObject = {
      metadata: { name: grantObjectName(id), labels: grantLabels(id), annotations: grantAnnotations(expiresAt, grant.principal) },
      roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name: checkClusterRole(grant.clusterRole) },
      subjects: [subjectEntry(subject)],
    };
    const targets = scope === null ? [{ kind: 'ClusterRoleBinding' as const, namespace: '' }] : scope.map((namespace) => ({ kind: 'RoleBinding' as const, namespace }));
    try {
      const apis = await this.apis();
      for (const t of targets) {
        await this.apply(apis, t.kind, t.namespace, { ...body, metadata: { ...body.metadata, ...(t.namespace ? { namespace: t.namespace } : {}) } });
      }
    } catch (error) {
      await this.revoke(id).catch((cleanup: unknown) => this.opts.log.error({ cluster: this.opts.cluster, grant: id, code: (cleanup as ClusterError).code }, 'could not remove a partly bound grant'));
      throw error;
    }
    this.opts.log.info({ cluster: this.opts.cluster, grant: id, clusterRole: grant.clusterRole, namespaces: scope ?? ['*'] }, 'grant bound');
  }

  /**
   * Creates or replaces one object of a grant (bindings or its ServiceAccount).
   * @throws ClusterError
   */
  async apply(apis: KubeApis, kind: ManagedKind, namespace: string, body: KubeObject): Promise<void> {
    const ops = kindOps(kind);
    const name = body.metadata!.name!;
    const what = `create ${describeRef({ kind, namespace, name })} in cluster ${this.opts.cluster}`;
    try {
      await ops.create(apis, namespace, body);
      return;
    } catch (error) {
      if (isNamespaceNotFound(error)) {
        throw new ClusterError(ClusterErrorCode.NamespaceNotFound, `Namespace ${namespace} does not exist in cluster ${this.opts.cluster}`, {
          status: 404, suggestions: ['Ask for namespaces that exist, or fix the grant template.'],
        });
      }
      if (kubeStatusCode(error) !== 409) throw this.failed(error, what);
    }
    await this.replaceExisting(apis, kind, namespace, body, what);
  }

  /** Deletes every object labelled for the grant, in all namespaces; returns what existed. */
  async revoke(grantId: string): Promise<string[]> {
    const selector = grantSelector(grantId);
    const apis = await this.apis();
    const refs = (await Promise.all(MANAGED_KINDS.map((kind) => this.list(apis, kind, selector)))).flat();
    const removed = await this.deleteAll(apis, refs);
    if (removed.length > 0) this.opts.log.info({ cluster: this.opts.cluster, grant: grantId, removed }, 'grant access revoked');
    return removed;
  }

  /**
   * Deletes kgate's objects whose grant is not active, whose grant label is not a grant id, or
   * whose expiry annotation has passed; returns what it removed.
   */
  async reconcile(activeGrantIds: ReadonlySet<string>): Promise<string[]> {
    const apis = await this.apis();
    const now = this.opts.now();
    const refs = (await Promise.all(MANAGED_KINDS.map((kind) => this.list(apis, kind, MANAGED_SELECTOR)))).flat();
    const stale = refs.filter((ref) => isStale(ref, activeGrantIds, now));
    const removed = await this.deleteAll(apis, stale);
    this.opts.log.info({ cluster: this.opts.cluster, kept: refs.length - stale.length, removed }, 'reconciled grant bindings');
    return removed;
  }

  private async replaceExisting(apis: KubeApis, kind: ManagedKind, namespace: string, body: KubeObject, what: string): Promise<void> {
    const ops = kindOps(kind);
    const name = body.metadata!.name!;
    try {
      const existing = await ops.read(apis, namespace, name);
      if (body.roleRef && !sameRoleRef(existing.roleRef, body.roleRef)) {
        // roleRef is immutable: a binding pointing elsewhere is deleted and made anew.
        await deleteObject(apis, { kind, namespace, name });
        await ops.create(apis, namespace, body);
        return;
      }
      await ops.replace(apis, namespace, name, { ...existing, ...body, metadata: { ...body.metadata, resourceVersion: existing.metadata?.resourceVersion } });
    } catch (error) {
      throw this.failed(error, what);
    }
  }

  private async deleteAll(apis: KubeApis, refs: readonly ObjectRef[]): Promise<string[]> {
    const results = await Promise.allSettled(refs.map(async (ref) => ((await deleteObject(apis, ref)) ? describeRef(ref) : undefined)));
    const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failures.length > 0) {
      const first = failures[0]!.reason as ClusterError;
      this.opts.log.error({ cluster: this.opts.cluster, failed: failures.length, code: first.code }, 'could not delete grant objects');
      throw this.failed(first, 'delete grant objects');
    }
    return results.flatMap((r) => (r.status === 'fulfilled' && r.value ? [r.value] : []));
  }

  private async list(apis: KubeApis, kind: ManagedKind, selector: string): Promise<ObjectRef[]> {
    try {
      return await listObjects(apis, kind, selector);
    } catch (error) {
      throw this.failed(error, `list ${kind}s in cluster ${this.opts.cluster}`);
    }
  }

  private async apis(): Promise<KubeApis> {
    try {
      return await this.opts.apis();
    } catch (error) {
      throw this.failed(error, `connect to cluster ${this.opts.cluster}`);
    }
  }

  private failed(error: unknown, what: string): ClusterError {
    const mapped = kubeError(error, what);
    if (mapped.code === ClusterErrorCode.Unavailable || mapped.code === ClusterErrorCode.KubeUnauthorized) this.opts.onConnectionError?.(mapped);
    return mapped;
  }
}

function sameRoleRef(a: KubeObject['roleRef'], b: NonNullable<KubeObject['roleRef']>): boolean {
  return a !== undefined && (a.apiGroup ?? RBAC_GROUP) === b.apiGroup && a.kind === b.kind && a.name === b.name;
}

/** Whether a kgate object must go: unknown or inactive grant, or past its expiry. */
export function isStale(ref: Pick<ObjectRef, 'labels' | 'annotations'>, active: ReadonlySet<string>, now: number): boolean {
  const id = ref.labels[GRANT_LABEL] ?? '';
  if (!isGrantId(id) || !active.has(id)) return true;
  const expiresAt = Date.parse(ref.annotations[EXPIRES_AT_ANNOTATION] ?? '');
  return Number.isFinite(expiresAt) && expiresAt <= now;
}
