/**
 * A container's volume mounts as the kubelet sets them up (pkg/volume/secret, configmap, projected,
 * emptydir): Secret and ConfigMap contents written with the atomic writer's layout (a timestamped
 * `..<ts>` directory, `..data` pointing at it, each top-level entry a link into `..data/`), file
 * modes from `items[].mode` or `defaultMode`, `optional` honoured; a required Secret or ConfigMap,
 * or a listed key, that is missing stops the container before it starts, as MountVolume.SetUp does.
 *
 * The simulated node has no container image filesystem: processes run on the host in the
 * container's working directory. So a volume appears under that directory at its mount path made
 * relative: a mount at `/etc/db` is `./etc/db` to the container's processes (`cat etc/db/password`).
 */
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { KubeObject, ObjectStore } from '../types.js';
import type { ContainerSpec, PodObject } from './pod-target.js';

/** Thrown when a volume cannot be set up; the container waits in ContainerCreating and is retried. */
export class MountError extends Error {}

interface KeyToPath {
  key: string;
  path: string;
  mode?: number;
}

interface SourceRef {
  name?: string;
  secretName?: string;
  items?: KeyToPath[];
  optional?: boolean;
  defaultMode?: number;
}

/** The parts of v1.Volume the node understands. */
export interface VolumeSpec {
  name: string;
  secret?: SourceRef;
  configMap?: SourceRef;
  projected?: { sources?: Array<{ secret?: SourceRef; configMap?: SourceRef }>; defaultMode?: number };
  emptyDir?: Record<string, unknown>;
}

/** v1.VolumeMount. */
export interface VolumeMount {
  name: string;
  mountPath: string;
  subPath?: string;
  readOnly?: boolean;
}

const DEFAULT_MODE = 0o644;

type Files = Map<string, { data: Buffer; mode: number }>;

function sourceData(store: ObjectStore, kind: 'secrets' | 'configmaps', namespace: string, name: string): Record<string, Buffer> | undefined {
  const object = store.get({ group: '', resource: kind }, namespace, name) as (KubeObject & { data?: Record<string, string>; binaryData?: Record<string, string> }) | undefined;
  if (!object) return undefined;
  const out: Record<string, Buffer> = {};
  for (const [key, value] of Object.entries(object.data ?? {})) out[key] = kind === 'secrets' ? Buffer.from(value, 'base64') : Buffer.from(value, 'utf8');
  for (const [key, value] of Object.entries(object.binaryData ?? {})) out[key] = Buffer.from(value, 'base64');
  return out;
}

/** The files one Secret or ConfigMap source contributes. */
function sourceFiles(store: ObjectStore, pod: PodObject, kind: 'secrets' | 'configmaps', ref: SourceRef, defaultMode: number, files: Files): void {
  const name = ref.secretName ?? ref.name ?? '';
  const namespace = pod.metadata.namespace ?? 'default';
  const what = kind === 'secrets' ? 'secret' : 'configmap';
  const data = sourceData(store, kind, namespace, name);
  if (!data) {
    if (ref.optional) return;
    throw new MountError(`${what} "${name}" not found`);
  }
  const mode = ref.defaultMode ?? defaultMode;
  if (!ref.items?.length) {
    for (const [key, value] of Object.entries(data)) files.set(key, { data: value, mode });
    return;
  }
  for (const item of ref.items) {
    const value = data[item.key];
    if (value === undefined) {
      if (ref.optional) continue;
      throw new MountError(kind === 'secrets' ? `references non-existent secret key: ${item.key}` : `configmap references non-existent config key: ${item.key}`);
    }
    files.set(item.path, { data: value, mode: item.mode ?? mode });
  }
}

function volumeFiles(store: ObjectStore, pod: PodObject, volume: VolumeSpec): Files | undefined {
  const files: Files = new Map();
  if (volume.secret) sourceFiles(store, pod, 'secrets', volume.secret, DEFAULT_MODE, files);
  else if (volume.configMap) sourceFiles(store, pod, 'configmaps', volume.configMap, DEFAULT_MODE, files);
  else if (volume.projected) {
    const mode = volume.projected.defaultMode ?? DEFAULT_MODE;
    for (const source of volume.projected.sources ?? []) {
      if (source.secret) sourceFiles(store, pod, 'secrets', source.secret, mode, files);
      else if (source.configMap) sourceFiles(store, pod, 'configmaps', source.configMap, mode, files);
    }
  } else return undefined;
  return files;
}

function timestamp(): string {
  const d = new Date();
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `..${d.getUTCFullYear()}_${pad(d.getUTCMonth() + 1)}_${pad(d.getUTCDate())}_${pad(d.getUTCHours())}_${pad(d.getUTCMinutes())}_${pad(d.getUTCSeconds())}.${process.hrtime.bigint() % 1_000_000_000n}`;
}

/** The kubelet's AtomicWriter: a fresh payload directory, then `..data` swapped to it. */
function writeAtomically(dir: string, files: Files): void {
  mkdirSync(dir, { recursive: true });
  const payload = timestamp();
  for (const [path, file] of files) {
    const target = join(dir, payload, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, file.data);
    chmodSync(target, file.mode);
  }
  mkdirSync(join(dir, payload), { recursive: true });
  const link = join(dir, '..data_tmp');
  rmSync(link, { force: true });
  symlinkSync(payload, link);
  renameSync(link, join(dir, '..data'));
  const tops = new Set([...files.keys()].map((path) => path.split('/')[0]!));
  for (const top of tops) {
    if (!isLink(join(dir, top))) symlinkSync(join('..data', top), join(dir, top));
  }
  // The previous payload, and links to keys the source no longer has, go.
  for (const entry of readdirSync(dir)) {
    const stale = entry.startsWith('..') ? entry !== '..data' && entry !== payload : !tops.has(entry);
    if (stale) rmSync(join(dir, entry), { recursive: true, force: true });
  }
}

/** `path` inside `root`, refusing anything that would leave it. */
function inside(root: string, path: string, what: string): string {
  const target = resolve(root, `.${sep}${path}`);
  const rel = relative(root, target);
  if (rel === '' || rel.startsWith('..')) throw new MountError(`${what} ${JSON.stringify(path)} is outside the container`);
  return target;
}

/**
 * Sets up the volumes `container` mounts: each volume's contents in `<podDir>/.volumes/<name>`,
 * linked at the mount path under `containerDir`. Called before each start of the container.
 * @throws MountError for a required source or key that is missing.
 */
export function mountVolumes(store: ObjectStore, pod: PodObject, container: ContainerSpec, containerDir: string, podDir: string): void {
  const volumes = new Map((pod.spec?.volumes ?? []).map((v) => [v.name, v]));
  for (const mount of container.volumeMounts ?? []) {
    const volume = volumes.get(mount.name);
    if (!volume) throw new MountError(`volume "${mount.name}" not found in the pod's volumes`);
    const dir = join(podDir, '.volumes', volume.name);
    const files = volumeFiles(store, pod, volume);
    if (files) writeAtomically(dir, files);
    else mkdirSync(dir, { recursive: true });
    const source = mount.subPath ? inside(dir, mount.subPath, 'subPath') : dir;
    const target = inside(containerDir, mount.mountPath, 'mountPath');
    mkdirSync(dirname(target), { recursive: true });
    if (isLink(target)) rmSync(target);
    if (!existsSync(target)) symlinkSync(source, target);
  }
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}
