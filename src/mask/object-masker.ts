/**
 * Masks secret values in any Kubernetes JSON response: objects, lists (whose items carry no kind),
 * watch events, Tables, PartialObjectMetadata, and the last-applied annotation on anything.
 *
 * Structural rules (by kind, from the policy's `MaskingConfig`):
 * - Secret `data` values become base64 of the marker (typed clients still decode), `stringData`
 *   values become the marker; `immutable` and `type` stay.
 * - ConfigMap `data` / `binaryData` keys matching `configMapKeys` (globs) are masked.
 * - TokenRequest `status.token` and TokenReview `spec.token` are masked.
 * - Env `value`s whose names match `envNamePatterns` (globs, case-insensitive) are masked in every
 *   `containers` / `initContainers` / `ephemeralContainers` array anywhere in an object, which
 *   covers Pods, every workload template (`spec.template.spec`, CronJob
 *   `spec.jobTemplate.spec.template.spec`) and custom resources that embed pod specs.
 * - `kubectl.kubernetes.io/last-applied-configuration` is parsed, masked as the object it
 *   describes and re-serialised; if it does not parse, the whole value is masked. Annotations named
 *   by `annotations` (globs) are masked whole.
 * - Detectors run over every other string value, except identifiers where a match would only be a
 *   false positive: `kind`, `apiVersion`, and in `metadata` the fields `name`, `generateName`,
 *   `namespace`, `uid`, `resourceVersion`, `generation`, `selfLink`, `creationTimestamp`,
 *   `deletionTimestamp`, `deletionGracePeriodSeconds`, `finalizers`, `ownerReferences` and
 *   `managedFields` (which holds field names, never values). Keys are never masked.
 *
 * An object whose kind is unknown (no `kind`, and the list kind unknown or `List`) is treated
 * conservatively: if it looks like a Secret (`data` of strings with a `type`, or all-base64 values)
 * or has `stringData`, it is masked as a Secret, otherwise `data` keys follow the ConfigMap rule.
 *
 * Pure: the input is never mutated; unchanged subtrees are shared with the result.
 */
import type { MaskingConfig } from '../policy/types.js';
import { compileGlob } from '../policy/glob.js';
import { compileDetectors, maskText } from './detectors.js';
import type { Detector } from './detectors.js';
import { MaskError } from './errors.js';
import { base64Marker, isMarked, maskMarker } from './marker.js';

/** Where an object sits, when it cannot say so itself. */
export interface MaskContext {
  /**
   * The kind of the list this object is an item of (`SecretList`, `List`, …), since real list
   * items carry no `kind`. `Table` means the object is one of a Table's `rows`.
   */
  listKind?: string;
}

/** A masked value and how many fields were masked in it. */
export interface MaskResult<T = unknown> {
  value: T;
  count: number;
}

/** The masking engine for one policy. */
export interface Masker {
  /**
   * Masks a parsed Kubernetes JSON value. Never mutates `obj`.
   * @throws MaskError `MASK_TOO_DEEP` when the value nests too deeply to walk.
   */
  maskObject(obj: unknown, ctx?: MaskContext): MaskResult;
  /** Whether a caller in these groups is exempt from masking (the caller decides what that means). */
  isExempt(groups: readonly string[]): boolean;
  /** The compiled detectors, for text streams (src/mask/text-stream.ts). */
  readonly detectors: readonly Detector[];
}

/** Options for {@link createMasker}. */
export interface MaskerOptions {
  /** Use these detectors instead of compiling `config.detectors`. */
  detectors?: readonly Detector[];
}

export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

type JsonObject = Record<string, unknown>;

const CONTAINER_ARRAYS = new Set(['containers', 'initContainers', 'ephemeralContainers']);
const IDENTIFIER_KEYS = new Set(['kind', 'apiVersion']);
const METADATA_IDENTIFIERS = new Set([
  'name',
  'generateName',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'selfLink',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'finalizers',
  'ownerReferences',
  'managedFields',
]);
const WATCH_EVENT_TYPES = new Set(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR']);
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Sets an own property even for `__proto__`, which JSON.parse can produce as an ordinary key. */
function setOwn(target: JsonObject, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

/** A shallow copy of `obj` with the changed members, or `obj` itself when nothing changed. */
function mapMembers(obj: JsonObject, fn: (key: string, value: unknown) => unknown): JsonObject {
  let out: JsonObject | undefined;
  for (const key of Object.keys(obj)) {
    const value = obj[key];
    const next = fn(key, value);
    if (next !== value) {
      out ??= { ...obj };
      setOwn(out, key, next);
    }
  }
  return out ?? obj;
}

function mapArray(arr: readonly unknown[], fn: (value: unknown) => unknown): unknown[] {
  let out: unknown[] | undefined;
  for (let i = 0; i < arr.length; i++) {
    const next = fn(arr[i]);
    if (next !== arr[i]) {
      out ??= arr.slice();
      out[i] = next;
    }
  }
  return out ?? (arr as unknown[]);
}

/** The kind of a list's items: `SecretList` → `Secret`; `List` (mixed) → unknown. */
function itemKindOf(listKind: string | undefined): string | undefined {
  if (listKind === undefined || listKind === 'List' || !listKind.endsWith('List')) return undefined;
  return listKind.slice(0, -'List'.length);
}

function isWatchEvent(obj: JsonObject): boolean {
  return obj.kind === undefined && typeof obj.type === 'string' && WATCH_EVENT_TYPES.has(obj.type) && 'object' in obj;
}

function isStringMap(value: unknown): value is Record<string, unknown> {
  return isObject(value) && Object.values(value).every((v) => typeof v === 'string' || v === null);
}

/** Secret-shaped: `data` of strings with a `type`, or `data` whose values are all base64. */
function looksLikeSecret(obj: JsonObject): boolean {
  if (isObject(obj.stringData)) return true;
  if (!isStringMap(obj.data)) return false;
  if (typeof obj.type === 'string') return true;
  const values = Object.values(obj.data);
  return values.length > 0 && values.every((v) => typeof v === 'string' && BASE64.test(v));
}

/** Per-call state: the running count of masked fields. */
interface Tally {
  count: number;
}

class ObjectMasker implements Masker {
  readonly detectors: readonly Detector[];
  private readonly envNames: RegExp[];
  private readonly configMapKeys: RegExp[];
  private readonly annotations: RegExp[];
  private readonly exemptGroups: ReadonlySet<string>;

  constructor(private readonly config: MaskingConfig, opts: MaskerOptions) {
    this.detectors = opts.detectors ?? compileDetectors(config.detectors);
    this.envNames = compileGlobs(config.envNamePatterns, true);
    this.configMapKeys = compileGlobs(config.configMapKeys, false);
    this.annotations = compileGlobs(config.annotations, false);
    this.exemptGroups = new Set(config.exemptGroups);
  }

  isExempt(groups: readonly string[]): boolean {
    return groups.some((g) => this.exemptGroups.has(g));
  }

  maskObject(obj: unknown, ctx: MaskContext = {}): MaskResult {
    const tally: Tally = { count: 0 };
    try {
      const value = ctx.listKind === 'Table' ? this.tableRow(obj, tally) : this.resource(obj, itemKindOf(ctx.listKind), tally);
      return { value, count: tally.count };
    } catch (error) {
      if (error instanceof RangeError) throw new MaskError('MASK_TOO_DEEP', 'response nests too deeply to mask', { cause: error });
      throw error;
    }
  }

  /** A top-level object, list item, watch event object or embedded object. */
  private resource(value: unknown, kindHint: string | undefined, t: Tally): unknown {
    if (!isObject(value)) return this.any(value, t);
    const kind = typeof value.kind === 'string' ? value.kind : kindHint;
    if (kind === undefined && isWatchEvent(value)) return this.watchEvent(value, t);
    switch (kind) {
      case 'Secret':
        return this.config.secrets ? this.secret(value, t) : this.generic(value, t);
      case 'ConfigMap':
        return this.configMap(value, t);
      case 'Table':
        return this.table(value, t);
      case 'TokenRequest':
        return this.withToken(value, 'status', t);
      case 'TokenReview':
        return this.withToken(value, 'spec', t);
      case 'WatchEvent':
        return this.watchEvent(value, t);
      case undefined:
        return this.unknownKind(value, t);
    }
    if (kind.endsWith('List') && Array.isArray(value.items)) return this.list(value, kind, t);
    return this.generic(value, t);
  }

  private unknownKind(obj: JsonObject, t: Tally): unknown {
    if (this.config.secrets && looksLikeSecret(obj)) return this.secret(obj, t);
    if (isObject(obj.data) || isObject(obj.binaryData)) return this.configMap(obj, t);
    return this.generic(obj, t);
  }

  private list(obj: JsonObject, kind: string, t: Tally): unknown {
    const itemKind = itemKindOf(kind);
    return mapMembers(obj, (key, value) =>
      key === 'items' && Array.isArray(value) ? mapArray(value, (item) => this.resource(item, itemKind, t)) : this.member(key, value, t),
    );
  }

  private watchEvent(event: JsonObject, t: Tally): unknown {
    return mapMembers(event, (key, value) => (key === 'object' ? this.resource(value, undefined, t) : this.member(key, value, t)));
  }

  private table(obj: JsonObject, t: Tally): unknown {
    return mapMembers(obj, (key, value) => {
      if (key === 'rows' && Array.isArray(value)) return mapArray(value, (row) => this.tableRow(row, t));
      if (key === 'columnDefinitions') return value;
      return this.member(key, value, t);
    });
  }

  /** Cells through detectors; the embedded object (PartialObjectMetadata or full) as what it says it is. */
  private tableRow(row: unknown, t: Tally): unknown {
    if (!isObject(row)) return this.any(row, t);
    return mapMembers(row, (key, value) => {
      if (key === 'object') return this.resource(value, undefined, t);
      if (key === 'cells' && Array.isArray(value)) return mapArray(value, (cell) => this.any(cell, t));
      return this.member(key, value, t);
    });
  }

  private secret(obj: JsonObject, t: Tally): unknown {
    return mapMembers(obj, (key, value) => {
      if (key === 'data' && isObject(value)) return this.replaceValues(value, () => true, base64Marker('secret'), t);
      if (key === 'stringData' && isObject(value)) return this.replaceValues(value, () => true, maskMarker('secret'), t);
      if (key === 'type' || key === 'immutable') return value;
      return this.member(key, value, t);
    });
  }

  private configMap(obj: JsonObject, t: Tally): unknown {
    const listed = (name: string) => this.configMapKeys.some((g) => g.test(name));
    return mapMembers(obj, (key, value) => {
      if (key === 'data' && isObject(value)) {
        return mapMembers(value, (name, v) => (listed(name) ? this.replace(v, maskMarker('configmap'), t) : this.any(v, t)));
      }
      if (key === 'binaryData' && isObject(value)) return this.replaceValues(value, listed, base64Marker('configmap'), t);
      return this.member(key, value, t);
    });
  }

  /** TokenRequest `status.token`, TokenReview `spec.token`. */
  private withToken(obj: JsonObject, field: 'status' | 'spec', t: Tally): unknown {
    return mapMembers(obj, (key, value) => {
      if (key === field && isObject(value)) {
        return mapMembers(value, (name, v) => (name === 'token' ? this.replace(v, maskMarker('token'), t) : this.any(v, t)));
      }
      return this.member(key, value, t);
    });
  }

  private generic(obj: JsonObject, t: Tally): JsonObject {
    return mapMembers(obj, (key, value) => this.member(key, value, t));
  }

  /** One member of an object whose kind has no rule for this key. */
  private member(key: string, value: unknown, t: Tally): unknown {
    if (IDENTIFIER_KEYS.has(key)) return value;
    if (key === 'metadata' && isObject(value)) return this.metadata(value, t);
    if (CONTAINER_ARRAYS.has(key) && Array.isArray(value)) return mapArray(value, (c) => this.container(c, t));
    return this.any(value, t);
  }

  /** Any JSON value: strings through detectors, containers walked. */
  private any(value: unknown, t: Tally): unknown {
    if (typeof value === 'string') return this.text(value, t);
    if (Array.isArray(value)) return mapArray(value, (v) => this.any(v, t));
    if (isObject(value)) return this.generic(value, t);
    return value;
  }

  private text(value: string, t: Tally): string {
    if (value.length < 7) return value;
    const masked = maskText(value, this.detectors);
    t.count += masked.count;
    return masked.text;
  }

  private metadata(meta: JsonObject, t: Tally): unknown {
    return mapMembers(meta, (key, value) => {
      if (METADATA_IDENTIFIERS.has(key)) return value;
      if (key === 'annotations' && isObject(value)) return this.annotationMap(value, t);
      return this.any(value, t);
    });
  }

  private annotationMap(annotations: JsonObject, t: Tally): unknown {
    return mapMembers(annotations, (key, value) => {
      if (typeof value !== 'string') return this.any(value, t);
      if (key === LAST_APPLIED_ANNOTATION && this.config.lastAppliedConfiguration) return this.lastApplied(value, t);
      if (this.annotations.some((g) => g.test(key))) return this.replace(value, maskMarker('annotation'), t);
      return this.text(value, t);
    });
  }

  /**
   * Masks the manifest inside and re-serialises it even when nothing needed masking: the original
   * text may hold duplicate keys whose hidden values the parse never saw.
   */
  private lastApplied(text: string, t: Tally): string {
    if (isMarked(text)) return text;
    let manifest: unknown;
    try {
      manifest = JSON.parse(text);
    } catch {
      t.count++;
      return maskMarker('last-applied');
    }
    const inner: Tally = { count: 0 };
    const masked = this.resource(manifest, undefined, inner);
    t.count += inner.count;
    return JSON.stringify(masked) + (text.endsWith('\n') ? '\n' : '');
  }

  private container(container: unknown, t: Tally): unknown {
    if (!isObject(container)) return this.any(container, t);
    return mapMembers(container, (key, value) => (key === 'env' && Array.isArray(value) ? mapArray(value, (e) => this.envVar(e, t)) : this.any(value, t)));
  }

  private envVar(envVar: unknown, t: Tally): unknown {
    if (!isObject(envVar)) return this.any(envVar, t);
    const name = typeof envVar.name === 'string' ? envVar.name : '';
    const byName = this.envNames.some((g) => g.test(name));
    return mapMembers(envVar, (key, value) => {
      if (key === 'name') return value;
      if (key === 'value' && byName) return this.replace(value, maskMarker('env'), t);
      return this.any(value, t);
    });
  }

  /** Replaces a string value with `marker` (non-strings and markers stay). */
  private replace(value: unknown, marker: string, t: Tally): unknown {
    if (typeof value !== 'string' || value === marker) return value;
    t.count++;
    return marker;
  }

  private replaceValues(map: JsonObject, selected: (key: string) => boolean, marker: string, t: Tally): JsonObject {
    return mapMembers(map, (key, value) => (selected(key) ? this.replace(value, marker, t) : value));
  }
}

function compileGlobs(patterns: readonly string[], ignoreCase: boolean): RegExp[] {
  try {
    return patterns.map((p) => compileGlob(p, { ignoreCase }));
  } catch (error) {
    throw new MaskError('MASK_CONFIG', `masking policy has an invalid glob: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Builds the masking engine for a policy's `masking` section.
 * @throws MaskError `MASK_CONFIG` for an unknown detector or an invalid glob.
 */
export function createMasker(config: MaskingConfig, opts: MaskerOptions = {}): Masker {
  return new ObjectMasker(config, opts);
}
