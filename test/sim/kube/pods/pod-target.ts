/**
 * Finds the pod and container a log/exec/attach request is about, with the apiserver's errors
 * (pkg/registry/core/pod/strategy.go `streamLocation`, `validateContainer`).
 */
import { StatusError, type KubeObject, type ObjectStore, type ResourceKey } from '../types.js';
import type { VolumeMount, VolumeSpec } from './volumes.js';

export const PODS: ResourceKey = { group: '', resource: 'pods' };

/** The parts of a container spec the runtime uses. */
export interface ContainerSpec {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  envFrom?: EnvFromSource[];
  volumeMounts?: VolumeMount[];
  stdin?: boolean;
  stdinOnce?: boolean;
  tty?: boolean;
  /** Declared ports; the sim forwards only these (port-forward-options.ts). */
  ports?: { containerPort: number; name?: string; protocol?: string }[];
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: { name: string; key: string; optional?: boolean };
    configMapKeyRef?: { name: string; key: string; optional?: boolean };
    fieldRef?: { fieldPath: string };
  };
}

export interface EnvFromSource {
  prefix?: string;
  secretRef?: { name: string; optional?: boolean };
  configMapRef?: { name: string; optional?: boolean };
}

/** A pod as the runtime reads it. */
export interface PodObject extends KubeObject {
  spec?: {
    containers?: ContainerSpec[];
    initContainers?: ContainerSpec[];
    ephemeralContainers?: ContainerSpec[];
    volumes?: VolumeSpec[];
    restartPolicy?: string;
    nodeName?: string;
    terminationGracePeriodSeconds?: number;
    serviceAccountName?: string;
  };
  status?: { phase?: string; [key: string]: unknown };
}

/** The pod or a 404 NotFound Status. */
export function getPod(store: ObjectStore, namespace: string, name: string): PodObject {
  const pod = store.get(PODS, namespace, name) as PodObject | undefined;
  if (!pod) throw new StatusError(404, 'NotFound', `pods "${name}" not found`, { name, kind: 'pods' });
  return pod;
}

export function containersOf(pod: PodObject): ContainerSpec[] {
  return pod.spec?.containers ?? [];
}

/** Go's `%v` of a []string. */
function goList(names: string[]): string {
  return `[${names.join(' ')}]`;
}

/** The named container, or the only one when none is named; 400 BadRequest otherwise. */
export function chooseContainer(pod: PodObject, requested: string): ContainerSpec {
  const containers = containersOf(pod);
  const name = pod.metadata.name;
  if (requested === '') {
    if (containers.length === 1) return containers[0]!;
    if (containers.length === 0) throw new StatusError(400, 'BadRequest', `a container name must be specified for pod ${name}`);
    const inits = (pod.spec?.initContainers ?? []).map((c) => c.name);
    const suffix = inits.length > 0 ? ` or one of the init containers: ${goList(inits)}` : '';
    throw new StatusError(400, 'BadRequest', `a container name must be specified for pod ${name}, choose one of: ${goList(containers.map((c) => c.name))}${suffix}`);
  }
  const found = containers.find((c) => c.name === requested);
  if (!found) throw new StatusError(400, 'BadRequest', `container ${requested} is not valid for pod ${name}`);
  return found;
}
