/**
 * The RBAC authorizer of the simulated apiserver: reads Roles, ClusterRoles, RoleBindings and
 * ClusterRoleBindings from the store on every call (so a binding created or deleted through the API
 * takes effect on the next request), walks them like kubernetes pkg/registry/rbac/validation/rule.go
 * `VisitRulesFor`, and words its reasons like plugin/pkg/auth/authorizer/rbac/rbac.go.
 */
import type { Attributes, Authorizer, Decision, KubeObject, NonResourceRule, ObjectStore, ResourceKey, ResourceRule, UserInfo } from '../types.js';
import { ruleAllows, selectorMatches, type LabelSelector, type PolicyRule } from './rbac-rules.js';

const RBAC_GROUP = 'rbac.authorization.k8s.io';

/** Store keys of the four RBAC resources. */
export const RBAC_KEYS = {
  roles: { group: RBAC_GROUP, resource: 'roles' },
  roleBindings: { group: RBAC_GROUP, resource: 'rolebindings' },
  clusterRoles: { group: RBAC_GROUP, resource: 'clusterroles' },
  clusterRoleBindings: { group: RBAC_GROUP, resource: 'clusterrolebindings' },
} as const satisfies Record<string, ResourceKey>;

/** The group whose members the apiserver's privileged-group authorizer allows everything. */
export const SUPERUSER_GROUP = 'system:masters';

interface Subject {
  kind: string;
  name: string;
  namespace?: string;
  apiGroup?: string;
}

interface RoleRef {
  kind: string;
  name: string;
  apiGroup?: string;
}

type Binding = KubeObject & { subjects?: Subject[]; roleRef?: RoleRef };
type Role = KubeObject & { rules?: PolicyRule[] | null; aggregationRule?: { clusterRoleSelectors?: LabelSelector[] } };

/** Result of {@link RbacAuthorizer.rulesFor}: the Authorizer contract plus SSRR's evaluationError. */
export interface RulesForResult {
  resourceRules: ResourceRule[];
  nonResourceRules: NonResourceRule[];
  incomplete: boolean;
  /** Resolution errors (a binding naming a missing role), as SSRR status.evaluationError shows them. */
  evaluationError?: string;
}

/** Visits one applicable rule; returning false stops the walk. */
type RuleVisitor = (source: string, rule: PolicyRule) => boolean;

/** Joins errors like apimachinery's utilerrors.NewAggregate: one error plain, several in brackets. */
function aggregate(errors: string[]): string {
  return errors.length === 1 ? errors[0]! : `[${errors.join(', ')}]`;
}

function describeSubject(subject: Subject, bindingNamespace: string): string {
  if (subject.kind === 'ServiceAccount') {
    return `${subject.kind} ${JSON.stringify(`${subject.name}/${subject.namespace || bindingNamespace}`)}`;
  }
  return `${subject.kind} ${JSON.stringify(subject.name)}`;
}

function subjectApplies(user: UserInfo, subject: Subject, namespace: string): boolean {
  switch (subject.kind) {
    case 'User':
      return user.username === subject.name;
    case 'Group':
      return user.groups.includes(subject.name);
    case 'ServiceAccount': {
      const saNamespace = subject.namespace || namespace;
      return saNamespace !== '' && user.username === `system:serviceaccount:${saNamespace}:${subject.name}`;
    }
    default:
      return false;
  }
}

/**
 * Rules of a ClusterRole. An aggregated ClusterRole (aggregationRule) gets the union of the rules of
 * every other ClusterRole its selectors match, resolved now rather than by a controller, recursively
 * (edit aggregates view, which itself aggregates system:aggregate-to-view).
 */
export function effectiveClusterRoleRules(store: ObjectStore, clusterRole: KubeObject, seen: Set<string> = new Set()): PolicyRule[] {
  const role = clusterRole as Role;
  const selectors = role.aggregationRule?.clusterRoleSelectors;
  if (!selectors) return role.rules ?? [];
  seen.add(role.metadata.name);
  const rules: PolicyRule[] = [];
  const all = store.list(RBAC_KEYS.clusterRoles, '').items;
  for (const candidate of all) {
    if (seen.has(candidate.metadata.name)) continue;
    const labels = candidate.metadata.labels ?? {};
    if (!selectors.some((s) => selectorMatches(s, labels))) continue;
    for (const rule of effectiveClusterRoleRules(store, candidate, seen)) {
      if (!rules.some((r) => JSON.stringify(r) === JSON.stringify(rule))) rules.push(rule);
    }
  }
  return rules;
}

/** Role-based access control over the objects in an {@link ObjectStore}. */
export class RbacAuthorizer implements Authorizer {
  constructor(private readonly store: ObjectStore) {}

  /** Allows `system:masters` outright (reason ""), else the first RBAC rule that allows wins. */
  authorize(attributes: Attributes): Decision {
    if (attributes.user.groups.includes(SUPERUSER_GROUP)) return { allowed: true, reason: '' };
    let reason = '';
    const errors = this.visitRules(attributes.user, attributes.namespace, (source, rule) => {
      if (!ruleAllows(attributes, rule)) return true;
      reason = `RBAC: allowed by ${source}`;
      return false;
    });
    if (reason) return { allowed: true, reason };
    return { allowed: false, reason: errors.length > 0 ? `RBAC: ${aggregate(errors)}` : '' };
  }

  /** Every rule that applies to the user in the namespace (cluster-wide bindings plus the namespace's). */
  rulesFor(user: UserInfo, namespace: string): RulesForResult {
    const resourceRules: ResourceRule[] = [];
    const nonResourceRules: NonResourceRule[] = [];
    const errors = this.visitRules(user, namespace, (_source, rule) => {
      if (rule.resources?.length) {
        resourceRules.push({
          verbs: rule.verbs,
          apiGroups: rule.apiGroups ?? [],
          resources: rule.resources,
          ...(rule.resourceNames?.length ? { resourceNames: rule.resourceNames } : {}),
        });
      }
      if (rule.nonResourceURLs?.length) nonResourceRules.push({ verbs: rule.verbs, nonResourceURLs: rule.nonResourceURLs });
      return true;
    });
    return { resourceRules, nonResourceRules, incomplete: false, ...(errors.length ? { evaluationError: aggregate(errors) } : {}) };
  }

  /** Walks ClusterRoleBindings, then the namespace's RoleBindings; returns resolution errors. */
  private visitRules(user: UserInfo, namespace: string, visit: RuleVisitor): string[] {
    const errors: string[] = [];
    const clusterBindings = this.store.list(RBAC_KEYS.clusterRoleBindings, '').items as Binding[];
    for (const binding of clusterBindings) {
      const subject = binding.subjects?.find((s) => subjectApplies(user, s, ''));
      if (!subject || !binding.roleRef) continue;
      const rules = this.roleRefRules(binding.roleRef, '', errors);
      const source = `ClusterRoleBinding ${JSON.stringify(binding.metadata.name)} of ${binding.roleRef.kind} ${JSON.stringify(binding.roleRef.name)} to ${describeSubject(subject, '')}`;
      for (const rule of rules) if (!visit(source, rule)) return errors;
    }
    if (!namespace) return errors;
    const bindings = (this.store.list(RBAC_KEYS.roleBindings, namespace).items as Binding[]).filter(
      (b) => b.metadata.namespace === namespace,
    );
    for (const binding of bindings) {
      const subject = binding.subjects?.find((s) => subjectApplies(user, s, namespace));
      if (!subject || !binding.roleRef) continue;
      const rules = this.roleRefRules(binding.roleRef, namespace, errors);
      const source = `RoleBinding ${JSON.stringify(`${binding.metadata.name}/${namespace}`)} of ${binding.roleRef.kind} ${JSON.stringify(binding.roleRef.name)} to ${describeSubject(subject, namespace)}`;
      for (const rule of rules) if (!visit(source, rule)) return errors;
    }
    return errors;
  }

  private roleRefRules(ref: RoleRef, bindingNamespace: string, errors: string[]): PolicyRule[] {
    if (ref.kind === 'Role') {
      const role = this.store.get(RBAC_KEYS.roles, bindingNamespace, ref.name) as Role | undefined;
      if (!role) errors.push(`role.rbac.authorization.k8s.io ${JSON.stringify(ref.name)} not found`);
      return role?.rules ?? [];
    }
    if (ref.kind === 'ClusterRole') {
      const role = this.store.get(RBAC_KEYS.clusterRoles, '', ref.name);
      if (!role) errors.push(`clusterrole.rbac.authorization.k8s.io ${JSON.stringify(ref.name)} not found`);
      return role ? effectiveClusterRoleRules(this.store, role) : [];
    }
    errors.push(`unsupported role reference kind: ${JSON.stringify(ref.kind)}`);
    return [];
  }
}
