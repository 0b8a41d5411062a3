/**
 * A container's environment as the kubelet builds it (kubelet_pods.go `makeEnvironmentVariables`):
 * envFrom first, then env with `$(VAR)` expansion, values from Secrets, ConfigMaps and the pod's
 * own fields. The host's environment is not inherited (it may hold the test runner's
 * credentials); only PATH is, so commands resolve.
 */
import type { KubeObject, ObjectStore } from '../types.js';
import type { ContainerSpec, EnvVar, PodObject } from './pod-target.js';

/** Thrown when a required reference is missing; the container then fails to start, as on a node. */
export class EnvError extends Error {}

type DataSource = 'secrets' | 'configmaps';

function dataOf(store: ObjectStore, kind: DataSource, namespace: string, name: string): Record<string, string> | undefined {
  const object = store.get({ group: '', resource: kind }, namespace, name) as (KubeObject & { data?: Record<string, string> }) | undefined;
  if (!object) return undefined;
  const data = object.data ?? {};
  if (kind === 'configmaps') return data;
  return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
}

/** Expands `$(NAME)` from earlier variables; `$$(` escapes; unknown references stay verbatim. */
export function expandReferences(value: string, env: Record<string, string>): string {
  return value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (match, name: string | undefined) => {
    if (match === '$$') return '$';
    return name !== undefined && name in env ? env[name]! : match;
  });
}

function fieldValue(pod: PodObject, fieldPath: string): string {
  const fields: Record<string, string | undefined> = {
    'metadata.name': pod.metadata.name,
    'metadata.namespace': pod.metadata.namespace,
    'metadata.uid': pod.metadata.uid,
    'spec.nodeName': pod.spec?.nodeName,
    'spec.serviceAccountName': pod.spec?.serviceAccountName ?? 'default',
    'status.podIP': '127.0.0.1',
    'status.hostIP': '127.0.0.1',
  };
  const label = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (label) return (pod.metadata[label[1] as 'labels' | 'annotations'] ?? {})[label[2]!] ?? '';
  return fields[fieldPath] ?? '';
}

function valueOf(store: ObjectStore, pod: PodObject, variable: EnvVar, env: Record<string, string>): string | undefined {
  const from = variable.valueFrom;
  if (!from) return expandReferences(variable.value ?? '', env);
  if (from.fieldRef) return fieldValue(pod, from.fieldRef.fieldPath);
  const ref = from.secretKeyRef ?? from.configMapKeyRef;
  if (!ref) return '';
  const kind: DataSource = from.secretKeyRef ? 'secrets' : 'configmaps';
  const value = dataOf(store, kind, pod.metadata.namespace ?? 'default', ref.name)?.[ref.key];
  if (value === undefined && !ref.optional) {
    const what = kind === 'secrets' ? 'secret' : 'configmap';
    throw new EnvError(`couldn't find key ${ref.key} in ${what[0]!.toUpperCase()}${what.slice(1)} ${pod.metadata.namespace}/${ref.name}`);
  }
  return value;
}

/** The environment for a process in `container`; throws EnvError for a missing required reference. */
export function containerEnv(store: ObjectStore, pod: PodObject, container: ContainerSpec, home: string): Record<string, string> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin', HOSTNAME: pod.metadata.name, HOME: home };
  for (const source of container.envFrom ?? []) {
    const ref = source.secretRef ?? source.configMapRef;
    if (!ref) continue;
    const data = dataOf(store, source.secretRef ? 'secrets' : 'configmaps', pod.metadata.namespace ?? 'default', ref.name);
    if (!data && !ref.optional) throw new EnvError(`${source.secretRef ? 'secret' : 'configmap'} "${ref.name}" not found`);
    for (const [key, value] of Object.entries(data ?? {})) env[`${source.prefix ?? ''}${key}`] = value;
  }
  for (const variable of container.env ?? []) {
    const value = valueOf(store, pod, variable, env);
    if (value !== undefined) env[variable.name] = value;
  }
  return env;
}
