/**
 * The bootstrap RBAC policy a fresh apiserver creates, restricted to the roles a user of the sim
 * meets: cluster-admin, the aggregated admin/edit/view with their aggregate-to-* parts, discovery,
 * basic-user and public-info-viewer, and their ClusterRoleBindings. Rules, labels and annotations as
 * in kubernetes plugin/pkg/auth/authorizer/rbac/bootstrappolicy (testdata/cluster-roles.yaml).
 */
import type { KubeObject } from '../types.js';
import type { PolicyRule } from './rbac-rules.js';

const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'delete', 'deletecollection', 'patch', 'update'];
const READ_WRITE = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

const BOOTSTRAP_LABELS = { 'kubernetes.io/bootstrapping': 'rbac-defaults' };
const AUTOUPDATE = { 'rbac.authorization.kubernetes.io/autoupdate': 'true' };

function rule(verbs: string[], apiGroups: string[], resources: string[]): PolicyRule {
  return { apiGroups, resources, verbs };
}

function urls(verbs: string[], nonResourceURLs: string[]): PolicyRule {
  return { nonResourceURLs, verbs };
}

function clusterRole(name: string, body: { rules?: PolicyRule[]; aggregateTo?: string; aggregates?: string }): KubeObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: {
      name,
      labels: { ...BOOTSTRAP_LABELS, ...(body.aggregateTo ? { [`rbac.authorization.k8s.io/aggregate-to-${body.aggregateTo}`]: 'true' } : {}) },
      annotations: { ...AUTOUPDATE },
    },
    ...(body.aggregates
      ? { aggregationRule: { clusterRoleSelectors: [{ matchLabels: { [`rbac.authorization.k8s.io/aggregate-to-${body.aggregates}`]: 'true' } }] }, rules: [] }
      : { rules: body.rules ?? [] }),
  };
}

function clusterRoleBinding(name: string, groups: string[]): KubeObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name, labels: { ...BOOTSTRAP_LABELS }, annotations: { ...AUTOUPDATE } },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
    subjects: groups.map((group) => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: group })),
  };
}

const AGGREGATE_TO_ADMIN = [
  rule(['create'], ['authorization.k8s.io'], ['localsubjectaccessreviews']),
  rule(READ_WRITE, ['rbac.authorization.k8s.io'], ['rolebindings', 'roles']),
];

const AGGREGATE_TO_EDIT = [
  rule(READ, [''], ['pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy', 'secrets', 'services/proxy']),
  rule(['impersonate'], [''], ['serviceaccounts']),
  rule(WRITE, [''], ['pods', 'pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy']),
  rule(['create'], [''], ['pods/eviction']),
  rule(WRITE, [''], ['configmaps', 'events', 'persistentvolumeclaims', 'replicationcontrollers', 'replicationcontrollers/scale', 'secrets', 'serviceaccounts', 'services', 'services/proxy']),
  rule(['create'], [''], ['serviceaccounts/token']),
  rule(WRITE, ['apps'], ['daemonsets', 'deployments', 'deployments/rollback', 'deployments/scale', 'replicasets', 'replicasets/scale', 'statefulsets', 'statefulsets/scale']),
  rule(WRITE, ['autoscaling'], ['horizontalpodautoscalers']),
  rule(WRITE, ['batch'], ['cronjobs', 'jobs']),
  rule(WRITE, ['extensions'], ['daemonsets', 'deployments', 'deployments/rollback', 'deployments/scale', 'ingresses', 'networkpolicies', 'replicasets', 'replicasets/scale', 'replicationcontrollers/scale']),
  rule(WRITE, ['policy'], ['poddisruptionbudgets']),
  rule(WRITE, ['networking.k8s.io'], ['ingresses', 'networkpolicies']),
  rule(READ_WRITE, ['coordination.k8s.io'], ['leases']),
];

const AGGREGATE_TO_VIEW = [
  rule(READ, [''], ['configmaps', 'endpoints', 'persistentvolumeclaims', 'persistentvolumeclaims/status', 'pods', 'replicationcontrollers', 'replicationcontrollers/scale', 'serviceaccounts', 'services', 'services/status']),
  rule(READ, [''], ['bindings', 'events', 'limitranges', 'namespaces/status', 'pods/log', 'pods/status', 'replicationcontrollers/status', 'resourcequotas', 'resourcequotas/status']),
  rule(READ, [''], ['namespaces']),
  rule(READ, ['discovery.k8s.io'], ['endpointslices']),
  rule(READ, ['apps'], ['controllerrevisions', 'daemonsets', 'daemonsets/status', 'deployments', 'deployments/scale', 'deployments/status', 'replicasets', 'replicasets/scale', 'replicasets/status', 'statefulsets', 'statefulsets/scale', 'statefulsets/status']),
  rule(READ, ['autoscaling'], ['horizontalpodautoscalers', 'horizontalpodautoscalers/status']),
  rule(READ, ['batch'], ['cronjobs', 'cronjobs/status', 'jobs', 'jobs/status']),
  rule(READ, ['extensions'], ['daemonsets', 'daemonsets/status', 'deployments', 'deployments/scale', 'deployments/status', 'ingresses', 'ingresses/status', 'networkpolicies', 'replicasets', 'replicasets/scale', 'replicasets/status', 'replicationcontrollers/scale']),
  rule(READ, ['policy'], ['poddisruptionbudgets', 'poddisruptionbudgets/status']),
  rule(READ, ['networking.k8s.io'], ['ingresses', 'ingresses/status', 'networkpolicies']),
];

/**
 * Fresh copies of the bootstrap ClusterRoles and ClusterRoleBindings (without uid/resourceVersion;
 * the store assigns those). admin, edit and view are aggregated roles with empty stored rules, as
 * on a real cluster before the aggregation controller runs; the RBAC authorizer resolves them.
 */
export function defaultRbacObjects(): KubeObject[] {
  return [
    clusterRole('cluster-admin', { rules: [rule(['*'], ['*'], ['*']), urls(['*'], ['*'])] }),
    clusterRole('admin', { aggregates: 'admin' }),
    clusterRole('edit', { aggregates: 'edit', aggregateTo: 'admin' }),
    clusterRole('view', { aggregates: 'view', aggregateTo: 'edit' }),
    clusterRole('system:aggregate-to-admin', { rules: AGGREGATE_TO_ADMIN, aggregateTo: 'admin' }),
    clusterRole('system:aggregate-to-edit', { rules: AGGREGATE_TO_EDIT, aggregateTo: 'edit' }),
    clusterRole('system:aggregate-to-view', { rules: AGGREGATE_TO_VIEW, aggregateTo: 'view' }),
    clusterRole('system:discovery', {
      rules: [urls(['get'], ['/api', '/api/*', '/apis', '/apis/*', '/healthz', '/livez', '/openapi', '/openapi/*', '/readyz', '/version', '/version/'])],
    }),
    clusterRole('system:basic-user', {
      rules: [
        rule(['create'], ['authorization.k8s.io'], ['selfsubjectaccessreviews', 'selfsubjectrulesreviews']),
        rule(['create'], ['authentication.k8s.io'], ['selfsubjectreviews']),
      ],
    }),
    clusterRole('system:public-info-viewer', { rules: [urls(['get'], ['/healthz', '/livez', '/readyz', '/version', '/version/'])] }),
    clusterRoleBinding('cluster-admin', ['system:masters']),
    clusterRoleBinding('system:discovery', ['system:authenticated']),
    clusterRoleBinding('system:basic-user', ['system:authenticated']),
    clusterRoleBinding('system:public-info-viewer', ['system:authenticated', 'system:unauthenticated']),
  ];
}
