/**
 * Server-side printing: meta.k8s.io Table with the column sets of kube-apiserver's printers
 * (pkg/printers/internalversion) and PartialObjectMetadata conversions.
 */
import type { ResourceType } from './resources.js';
import { StatusError, type KubeObject } from './types.js';

export interface ColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export interface TableOptions {
  /** meta.k8s.io version asked for: v1 or v1beta1. */
  version: string;
  includeObject: IncludeObject;
  now: Date;
  /** Omit column definitions (every watch event after the first). */
  noHeaders?: boolean;
  listMeta?: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
}

type Cell = string | number | boolean;
interface Printer { columns: ColumnDefinition[]; cells(o: KubeObject, now: Date): Cell[] }

function col(name: string, description: string, extra: Partial<ColumnDefinition> = {}): ColumnDefinition {
  return { name, type: 'string', format: '', description, priority: 0, ...extra };
}

const NAME = col('Name', 'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names', { format: 'name' });
const AGE = col('Age', 'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.');
const CREATED_AT = col('Created At', AGE.description, { type: 'date' });

/** duration.HumanDuration, as kubectl and the apiserver print ages. */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.trunc(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return hours % 24 === 0 ? `${Math.trunc(hours / 24)}d` : `${Math.trunc(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const days = Math.trunc(hours / 24) % 365;
    return days === 0 ? `${Math.trunc(hours / 24 / 365)}y` : `${Math.trunc(hours / 24 / 365)}y${days}d`;
  }
  return `${Math.trunc(hours / 24 / 365)}y`;
}

function age(o: KubeObject, now: Date): string {
  const created = o.metadata.creationTimestamp;
  return created ? humanDuration(now.getTime() - Date.parse(created)) : '<unknown>';
}

function field<T>(o: unknown, ...path: string[]): T | undefined {
  let node: unknown = o;
  for (const p of path) node = node && typeof node === 'object' ? (node as Record<string, unknown>)[p] : undefined;
  return node as T | undefined;
}

function count(o: KubeObject, ...maps: string[]): number {
  return maps.reduce((n, m) => n + Object.keys(field<Record<string, unknown>>(o, m) ?? {}).length, 0);
}

interface ContainerStatus { ready?: boolean; restartCount?: number; state?: { waiting?: { reason?: string }; terminated?: { reason?: string; exitCode?: number; signal?: number } } }

function podStatus(o: KubeObject): string {
  let reason = field<string>(o, 'status', 'reason') || field<string>(o, 'status', 'phase') || 'Pending';
  for (const s of field<ContainerStatus[]>(o, 'status', 'containerStatuses') ?? []) {
    if (s.state?.waiting?.reason) reason = s.state.waiting.reason;
    else if (s.state?.terminated) reason = s.state.terminated.reason || (s.state.terminated.signal ? `Signal:${s.state.terminated.signal}` : `ExitCode:${s.state.terminated.exitCode ?? 0}`);
  }
  if (o.metadata.deletionTimestamp) reason = 'Terminating';
  return reason;
}

function podCells(o: KubeObject, now: Date): Cell[] {
  const statuses = field<ContainerStatus[]>(o, 'status', 'containerStatuses') ?? [];
  const total = (field<unknown[]>(o, 'spec', 'containers') ?? []).length;
  const ready = statuses.filter((s) => s.ready).length;
  const restarts = statuses.reduce((n, s) => n + (s.restartCount ?? 0), 0);
  const gates = field<{ conditionType: string }[]>(o, 'spec', 'readinessGates') ?? [];
  return [
    o.metadata.name, `${ready}/${total}`, podStatus(o), String(restarts), age(o, now),
    field<string>(o, 'status', 'podIP') || '<none>', field<string>(o, 'spec', 'nodeName') || '<none>',
    field<string>(o, 'status', 'nominatedNodeName') || '<none>', gates.length ? `0/${gates.length}` : '<none>',
  ];
}

interface Subject { kind: string; name: string; namespace?: string }

function bindingCells(o: KubeObject, now: Date): Cell[] {
  const subjects = field<Subject[]>(o, 'subjects') ?? [];
  const of = (kind: string) => subjects.filter((s) => s.kind === kind);
  const names = (list: string[]) => list.join(', ');
  return [
    o.metadata.name, `${field<string>(o, 'roleRef', 'kind') ?? ''}/${field<string>(o, 'roleRef', 'name') ?? ''}`, age(o, now),
    names(of('User').map((s) => s.name)), names(of('Group').map((s) => s.name)),
    names(of('ServiceAccount').map((s) => `${s.namespace ?? ''}/${s.name}`)),
  ];
}

const BINDING: Printer = {
  columns: [NAME, col('Role', 'Role'), AGE, col('Users', 'Users in the roleBinding', { priority: 1 }), col('Groups', 'Groups in the roleBinding', { priority: 1 }), col('ServiceAccounts', 'ServiceAccounts in the roleBinding', { priority: 1 })],
  cells: bindingCells,
};

const DEFAULT_PRINTER: Printer = { columns: [NAME, CREATED_AT], cells: (o) => [o.metadata.name, o.metadata.creationTimestamp ?? ''] };

const PRINTERS: Record<string, Printer> = {
  '/pods': {
    columns: [
      NAME,
      col('Ready', 'The aggregate readiness state of this pod for accepting traffic.'),
      col('Status', 'The aggregate status of the containers in this pod.'),
      col('Restarts', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'),
      AGE,
      col('IP', 'podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.', { priority: 1 }),
      col('Node', 'NodeName indicates in which node this pod is scheduled.', { priority: 1 }),
      col('Nominated Node', 'nominatedNodeName is set only when this pod preempts other pods on the node.', { priority: 1 }),
      col('Readiness Gates', 'If specified, all readiness gates will be evaluated for pod readiness.', { priority: 1 }),
    ],
    cells: podCells,
  },
  '/namespaces': { columns: [NAME, col('Status', 'The status of the namespace'), AGE], cells: (o, now) => [o.metadata.name, field<string>(o, 'status', 'phase') ?? '', age(o, now)] },
  '/secrets': {
    columns: [NAME, col('Type', 'The type of the secret'), col('Data', 'The number of entries in data'), AGE],
    cells: (o, now) => [o.metadata.name, field<string>(o, 'type') ?? '', count(o, 'data'), age(o, now)],
  },
  '/configmaps': { columns: [NAME, col('Data', 'Data contains the configuration data.'), AGE], cells: (o, now) => [o.metadata.name, count(o, 'data', 'binaryData'), age(o, now)] },
  '/serviceaccounts': {
    columns: [NAME, col('Secrets', 'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.'), AGE],
    cells: (o, now) => [o.metadata.name, (field<unknown[]>(o, 'secrets') ?? []).length, age(o, now)],
  },
  '/events': {
    columns: [col('Last Seen', 'Time when this Event was last seen'), col('Type', 'Type of this event (Normal, Warning), new types could be added in the future.'), col('Reason', 'Reason why the action was taken. It is human-readable. This field can have at most 128 characters.'), col('Object', 'The object that this event is about.'), col('Message', 'A human-readable description of the status of this operation.')],
    cells: (o, now) => {
      const last = field<string>(o, 'lastTimestamp') ?? field<string>(o, 'eventTime') ?? o.metadata.creationTimestamp;
      return [last ? humanDuration(now.getTime() - Date.parse(last)) : '<unknown>', field<string>(o, 'type') ?? '', field<string>(o, 'reason') ?? '', `${(field<string>(o, 'involvedObject', 'kind') ?? '').toLowerCase()}/${field<string>(o, 'involvedObject', 'name') ?? ''}`, field<string>(o, 'message') ?? ''];
    },
  },
  'apps/deployments': {
    columns: [NAME, col('Ready', 'Number of the pod with ready state'), col('Up-to-date', 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.'), col('Available', 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.'), AGE],
    cells: (o, now) => [o.metadata.name, `${field<number>(o, 'status', 'readyReplicas') ?? 0}/${field<number>(o, 'spec', 'replicas') ?? 1}`, field<number>(o, 'status', 'updatedReplicas') ?? 0, field<number>(o, 'status', 'availableReplicas') ?? 0, age(o, now)],
  },
  'rbac.authorization.k8s.io/rolebindings': BINDING,
  'rbac.authorization.k8s.io/clusterrolebindings': BINDING,
};

function printerFor(t: ResourceType): Printer {
  return PRINTERS[`${t.group}/${t.resource}`] ?? DEFAULT_PRINTER;
}

/** meta.AsPartialObjectMetadata: kind/apiVersion of meta.k8s.io and the whole ObjectMeta. */
export function asPartialObjectMetadata(o: KubeObject, version = 'v1'): Record<string, unknown> {
  return { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${version}`, metadata: o.metadata };
}

/** A PartialObjectMetadataList for a list response. */
export function asPartialObjectMetadataList(items: KubeObject[], version: string, listMeta: Record<string, unknown>): Record<string, unknown> {
  return { kind: 'PartialObjectMetadataList', apiVersion: `meta.k8s.io/${version}`, metadata: listMeta, items: items.map((o) => ({ metadata: o.metadata })) };
}

/** Reads includeObject (default Metadata); 400 for anything else, as the apiserver's TableOptions validation. */
export function parseIncludeObject(value: string | null): IncludeObject {
  if (value === null || value === '') return 'Metadata';
  if (value === 'None' || value === 'Metadata' || value === 'Object') return value;
  throw new StatusError(400, 'BadRequest', `includeObject: Unsupported value: "${value}": supported values: "Metadata", "None", "Object"`);
}

/** Renders objects of one type as a Table. */
export function toTable(t: ResourceType, objects: KubeObject[], options: TableOptions): Record<string, unknown> {
  const printer = printerFor(t);
  const rows = objects.map((o) => ({
    cells: printer.cells(o, options.now),
    object: options.includeObject === 'None' ? null : options.includeObject === 'Object' ? o : asPartialObjectMetadata(o, options.version),
  }));
  return {
    kind: 'Table',
    apiVersion: `meta.k8s.io/${options.version}`,
    metadata: options.listMeta ?? {},
    columnDefinitions: options.noHeaders ? null : printer.columns,
    rows,
  };
}
