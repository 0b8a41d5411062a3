/**
 * Masks secret values in any Kubernetes JSON response: objects, lists (whose items carry no kind),
 * watch events, Tables, PartialObjectMetadata, error Statuses, and the last-applied annotation on
 * anything.
 *
 * Structural rules (by kind, from the policy's `MaskingConfig`):
 * - Secrets keep in clear only the allowlist of src/mask/secret-allowlist.ts (identity, keys,
 *   built-in types, names that relate the Secret to other objects); every other value is masked,
 *   `data` values as base64 of the marker (typed clients still decode), the rest as the marker.
 *   Whatever a request is about, a response to a request on `secrets` is masked as Secrets
 *   (PartialObjectMetadata, Table cells, an object whose `kind` a patch changed).
 * - ConfigMap `data` / `binaryData` keys matching `configMapKeys` (globs) are masked.
 * - TokenRequest `status.token` and TokenReview `spec.token` are masked.
 * - Env `value`s whose names match `envNamePatterns` (globs, case-insensitive) are masked in every
 *   `containers` / `initContainers` / `ephemeralContainers` array anywhere in an object, which
 *   covers Pods, every workload template (`spec.template.spec`, CronJob
 *   `spec.jobTemplate.spec.template.spec`) and custom resources that embed pod specs.
 * - Known values: a string anywhere else in the same object that contains one of the values masked
 *   above (a Secret's data, decoded or base64; a marked ConfigMap value; a marked env value) is
 *   masked too, so a value copied into a label or an annotation does not come out there
 *   (src/mask/known-values.ts).
 * - `kubectl.kubernetes.io/last-applied-configuration` is parsed, masked as the object it
 *   describes and re-serialised; if it does not parse, the whole value is masked. Annotations named
 *   by `annotations` (globs) are masked whole.
 * - An error Status that quotes an invalid value (`Invalid value: "{…}"`, the whole patched object
 *   when a patch leaves one the apiserver cannot decode) has that value masked as the object it is.
 * - Detectors run over every other string value, `kind` and `apiVersion` at any depth included
 *   (in a custom resource's spec they are free text), except identifiers the apiserver sets in
 *   `metadata`, where a match would only be a false positive: `name`, `namespace`, `uid`,
 *   `resourceVersion`, `generation`, `selfLink`, `creationTimestamp`, `deletionTimestamp` and
 *   `deletionGracePeriodSeconds`. Keys are never masked.
 *
 * An object whose kind is unknown (no `kind`, and the list kind unknown or `List`) is treated
 * conservatively: if it looks like a Secret (`data` of strings with a `type`, or all-base64 values)
 * or has `stringData`, it is masked as a Secret, otherwise `data` keys follow the ConfigMap rule.
 *
 * Pure: the input is never mutated; unchanged subtrees are shared with the result.
 */
import { goQuote } from '../kube/status.js';
import type { MaskingConfig } from '../policy/types.js';
import type { GlobMatcher } from '../policy/glob.js';
import { compileDetectors, detectorTrigger, maskText } from './detectors.js';
import type { Detector } from './detectors.js';
import { MaskError } from './errors.js';
import { CONTAINER_ARRAYS, LAST_APPLIED_ANNOTATION } from './fields.js';
import { compileMarkedNames } from './globs.js';
import { invalidValues } from './invalid-value.js';
import { configMapValues, envValues, type KnownValues, secretValues } from './known-values.js';
import { base64Marker, maskMarker } from './marker.js';
import {
  BUILTIN_SECRET_TYPES,
  CLEAR_ANNOTATIONS,
  IDENTITY_FIELDS,
  isClearSecretCell,
  isLabelValue,
  isQualifiedName,
  isTypeMetaValue,
  MANAGED_FIELDS_FIELDS,
  OWNER_REFERENCE_FIELDS,
} from './secret-allowlist.js';

/** The resource a request is about, as its URL names it. */
export interface MaskTarget {
  apiGroup: string;
  resource: string;
}

/** Where an object sits, when it cannot say so itself. */
export interface MaskContext {
  /**
   * The kind of the list this object is an item of (`SecretList`, `List`, …), since real list
   * items carry no `kind`. `Table` means the object is one of a Table's `rows`.
   */
  listKind?: string;
  /**
   * The resource the request was about. A response to a request on `secrets` (core) is masked as
   * Secrets whatever its objects say they are, and one on `configmaps` as ConfigMaps.
   */
  target?: MaskTarget;
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
  /** Whether a caller in these groups is one of the policy's `exemptGroups`. */
  isExempt(groups: readonly string[]): boolean;
  /** This masker masks nothing: it was made by {@link maskerFor} for an exempt caller. */
  readonly exempt: boolean;
  /** The compiled detectors, for text streams (src/mask/text-stream.ts). */
  readonly detectors: readonly Detector[];
}

/** Options for {@link createMasker}. */
export interface MaskerOptions {
  /** Use these detectors instead of compiling `config.detectors`. */
  detectors?: readonly Detector[];
}

export { LAST_APPLIED_ANNOTATION } from './fields.js';

type JsonObject = Record<string, unknown>;

/** Metadata the apiserver sets and no write changes: detectors there would only find false positives. */
const SERVER_SET_METADATA = new Set([
  'name',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'selfLink',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
]);
/** The key selector for replaceValues when ConfigMaps have no `configMapKeys`: none. */
const NO_KEY = /(?!)/;
const WATCH_EVENT_TYPES = new Set(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR']);
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const SECRET_MARKER = maskMarker('secret');
const SECRET_DATA_MARKER = base64Marker('secret');
const LAST_APPLIED_MARKER = maskMarker('last-applied');

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Sets an own property even for `__proto__`, which JSON.parse can produce as an ordinary key. */
function setOwn(target: JsonObject, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

/**
 * How one member (or element) is masked: its masked value, or the value itself when unchanged.
 * The hot rules are methods called with the masker as `this`, so walking an object allocates no closure.
 */
type MemberRule = (this: ObjectMasker, key: string, value: unknown, t: Tally) => unknown;
type ElementRule = (this: ObjectMasker, value: unknown, t: Tally) => unknown;

/** The kind of a list's items: `SecretList` → `Secret`; `List` (mixed) → unknown. */
function itemKindOf(listKind: string | undefined): string | undefined {
  if (listKind === undefined || listKind === 'List' || !listKind.endsWith('List')) return undefined;
  return listKind.slice(0, -'List'.length);
}

/** The kind every object of a response to `target` is masked as, if any. */
function scopeOf(target: MaskTarget | undefined): Scope {
  if (target?.apiGroup !== '') return undefined;
  if (target.resource === 'secrets') return 'Secret';
  if (target.resource === 'configmaps') return 'ConfigMap';
  return undefined;
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

type Scope = 'Secret' | 'ConfigMap' | undefined;

/** Per-call state. */
interface Tally {
  /** The running count of masked fields. */
  count: number;
  /** The values masked in the objects being walked, looked for in their other strings. */
  known: KnownValues | undefined;
  /** The kind the request's resource makes every object (see MaskContext.target). */
  scope: Scope;
  /**
   * Inside a value an error quotes: a patched object the apiserver never checked, whose identity
   * fields a patch may have set, so they too must not hold a known value.
   */
  quoted?: boolean;
}

class ObjectMasker implements Masker {
  readonly exempt = false;
  readonly detectors: readonly Detector[];
  /** Skips the detectors for the many strings none of them can match; see detectorTrigger. */
  private readonly trigger: RegExp | undefined;
  /** Each glob list as one matcher that matches what any of its globs does; undefined when empty. */
  private readonly envNames: GlobMatcher | undefined;
  private readonly configMapKeys: GlobMatcher | undefined;
  private readonly annotations: GlobMatcher | undefined;
  private readonly exemptGroups: ReadonlySet<string>;

  constructor(private readonly config: MaskingConfig, opts: MaskerOptions) {
    // A frozen copy: the trigger must keep describing exactly these detectors.
    this.detectors = Object.freeze([...(opts.detectors ?? compileDetectors(config.detectors))]);
    this.trigger = detectorTrigger(this.detectors);
    ({ envNames: this.envNames, configMapKeys: this.configMapKeys, annotations: this.annotations } = compileMarkedNames(config));
    this.exemptGroups = new Set(config.exemptGroups);
  }

  isExempt(groups: readonly string[]): boolean {
    return groups.some((g) => this.exemptGroups.has(g));
  }

  maskObject(obj: unknown, ctx: MaskContext = {}): MaskResult {
    const tally: Tally = { count: 0, known: undefined, scope: scopeOf(ctx.target) };
    try {
      const value = ctx.listKind === 'Table' ? this.tableRow(obj, tally) : this.resource(obj, itemKindOf(ctx.listKind), tally);
      return { value, count: tally.count };
    } catch (error) {
      if (error instanceof RangeError) throw new MaskError('MASK_TOO_DEEP', 'response nests too deeply to mask', { cause: error });
      throw error;
    }
  }

  /** A shallow copy of `obj` with the members `rule` changed, or `obj` itself when none changed. */
  private mapMembers(obj: JsonObject, rule: MemberRule, t: Tally): JsonObject {
    let out: JsonObject | undefined;
    for (const key of Object.keys(obj)) {
      const value = obj[key];
      const next = rule.call(this, key, value, t);
      if (next !== value) {
        out ??= { ...obj };
        setOwn(out, key, next);
      }
    }
    return out ?? obj;
  }

  private mapArray(arr: readonly unknown[], rule: ElementRule, t: Tally): unknown[] {
    let out: unknown[] | undefined;
    for (let i = 0; i < arr.length; i++) {
      const next = rule.call(this, arr[i], t);
      if (next !== arr[i]) {
        out ??= arr.slice();
        out[i] = next;
      }
    }
    return out ?? (arr as unknown[]);
  }

  /** Runs `walk` with `known` added to the values looked for. */
  private withKnown<T>(known: KnownValues, t: Tally, walk: () => T): T {
    if (known.empty) return walk();
    const outer = t.known;
    if (outer !== undefined) known.addAll(outer);
    t.known = known;
    try {
      return walk();
    } finally {
      t.known = outer;
    }
  }

  /** A top-level object, list item, watch event object or embedded object. */
  private resource(value: unknown, kindHint: string | undefined, t: Tally): unknown {
    if (!isObject(value)) return this.any(value, t);
    const kind = typeof value.kind === 'string' ? value.kind : kindHint;
    if (kind === undefined && isWatchEvent(value)) return this.watchEvent(value, t);
    switch (kind) {
      case 'Table':
        return this.table(value, t);
      case 'WatchEvent':
        return this.watchEvent(value, t);
      case 'Status':
        return this.status(value, t);
    }
    if (kind !== undefined && kind.endsWith('List') && Array.isArray(value.items)) return this.list(value, kind, t);
    return this.asKind(value, t.scope ?? kind, t);
  }

  /** An object masked by the rules of `kind`, whatever it says it is. */
  private asKind(value: JsonObject, kind: string | undefined, t: Tally): unknown {
    switch (kind) {
      case 'Secret':
        return this.config.secrets ? this.secret(value, t) : this.object(value, t);
      case 'ConfigMap':
        return this.configMap(value, t);
      case 'TokenRequest':
        return this.withToken(value, 'status', t);
      case 'TokenReview':
        return this.withToken(value, 'spec', t);
      case undefined:
        return this.unknownKind(value, t);
    }
    return this.object(value, t);
  }

  private unknownKind(obj: JsonObject, t: Tally): unknown {
    if (this.config.secrets && looksLikeSecret(obj)) return this.secret(obj, t);
    if (isObject(obj.data) || isObject(obj.binaryData)) return this.configMap(obj, t);
    return this.object(obj, t);
  }

  /** An object of a kind with no rule of its own: its marked env values are looked for everywhere in it. */
  private object(obj: JsonObject, t: Tally): unknown {
    const known = this.envNames === undefined ? undefined : envValues(obj, this.envNames);
    return known === undefined ? this.generic(obj, t) : this.withKnown(known, t, () => this.generic(obj, t));
  }

  private list(obj: JsonObject, kind: string, t: Tally): unknown {
    const itemKind = itemKindOf(kind);
    const item: ElementRule = (value) => this.resource(value, itemKind, t);
    return this.mapMembers(obj, (key, value) => (key === 'items' && Array.isArray(value) ? this.mapArray(value, item, t) : this.member(key, value, t)), t);
  }

  private watchEvent(event: JsonObject, t: Tally): unknown {
    return this.mapMembers(event, this.watchEventMember, t);
  }

  private watchEventMember(key: string, value: unknown, t: Tally): unknown {
    return key === 'object' ? this.resource(value, undefined, t) : this.member(key, value, t);
  }

  private table(obj: JsonObject, t: Tally): unknown {
    return this.mapMembers(obj, this.tableMember, t);
  }

  private tableMember(key: string, value: unknown, t: Tally): unknown {
    if (key === 'rows' && Array.isArray(value)) return this.mapArray(value, this.tableRow, t);
    if (key === 'columnDefinitions') return value;
    return this.member(key, value, t);
  }

  /** Cells through detectors (Secret rows: the allowlist); the embedded object (PartialObjectMetadata or full) as what it says it is. */
  /**
   * A row's cells are printer columns of its object, so the values masked in the object (its
   * Secret data, marked env and ConfigMap values) are looked for in the cells too.
   */
  private tableRow(row: unknown, t: Tally): unknown {
    if (!isObject(row)) return this.any(row, t);
    const known = isObject(row.object) ? this.knownValuesOf(row.object, t) : undefined;
    return known === undefined ? this.mapMembers(row, this.tableRowMember, t) : this.withKnown(known, t, () => this.mapMembers(row, this.tableRowMember, t));
  }

  /** The values masking `obj` would mask, as its rules by kind find them; undefined for none. */
  private knownValuesOf(obj: JsonObject, t: Tally): KnownValues | undefined {
    const kind = t.scope ?? (typeof obj.kind === 'string' ? obj.kind : undefined);
    if (kind === 'Secret' || (kind === undefined && this.config.secrets && looksLikeSecret(obj))) return this.config.secrets ? secretValues(obj) : undefined;
    if (kind === 'ConfigMap') return this.configMapKeys === undefined ? undefined : configMapValues(obj, this.configMapKeys);
    return this.envNames === undefined ? undefined : envValues(obj, this.envNames);
  }

  private tableRowMember(key: string, value: unknown, t: Tally): unknown {
    if (key === 'object') return this.resource(value, undefined, t);
    if (key === 'cells' && Array.isArray(value)) return t.scope === 'Secret' && this.config.secrets ? this.secretCells(value, t) : this.mapArray(value, this.any, t);
    return this.member(key, value, t);
  }

  private secretCells(cells: readonly unknown[], t: Tally): unknown[] {
    let out: unknown[] | undefined;
    for (let i = 0; i < cells.length; i++) {
      const next = isClearSecretCell(cells[i], i) ? cells[i] : this.maskSecretValue(cells[i], t);
      if (next !== cells[i]) {
        out ??= cells.slice();
        out[i] = next;
      }
    }
    return out ?? (cells as unknown[]);
  }

  // ── Secrets: the allowlist ──────────────────────────────────────────────────────────────

  private secret(obj: JsonObject, t: Tally): unknown {
    return this.withKnown(secretValues(obj), t, () => this.mapMembers(obj, this.secretMember, t));
  }

  private secretMember(key: string, value: unknown, t: Tally): unknown {
    switch (key) {
      case 'data':
        return isObject(value) ? this.mapMembers(value, this.secretDatum, t) : this.maskSecretValue(value, t);
      case 'kind':
      case 'apiVersion':
        return this.clearIf(value, isTypeMetaValue(key, value), t);
      case 'type':
        return typeof value === 'string' && BUILTIN_SECRET_TYPES.has(value) ? value : this.maskSecretValue(value, t);
      case 'immutable':
        return typeof value === 'boolean' ? value : this.maskSecretValue(value, t);
      case 'metadata':
        return isObject(value) ? this.mapMembers(value, this.secretMetadataMember, t) : this.maskSecretValue(value, t);
      default:
        // stringData and anything else a Secret should not hold.
        return this.maskSecretValue(value, t);
    }
  }

  /**
   * A `data` value: a string as base64 of the marker; anything else (which only the patched object
   * a 422 quotes can hold, the apiserver refusing to decode it) with every string in it masked.
   */
  private secretDatum(_key: string, value: unknown, t: Tally): unknown {
    return typeof value === 'string' ? this.replace(value, SECRET_DATA_MARKER, t) : this.maskSecretValue(value, t);
  }

  private secretMetadataMember(key: string, value: unknown, t: Tally): unknown {
    const identity = IDENTITY_FIELDS.get(key);
    if (identity) return identity(value) && !(t.quoted === true && typeof value === 'string' && t.known?.find(value) !== undefined) ? value : this.maskSecretValue(value, t);
    switch (key) {
      case 'labels':
        return isObject(value) ? this.mapMembers(value, this.secretLabel, t) : this.maskSecretValue(value, t);
      case 'annotations':
        return isObject(value) ? this.mapMembers(value, this.secretAnnotation, t) : this.maskSecretValue(value, t);
      case 'finalizers':
        return Array.isArray(value) ? this.mapArray(value, this.secretFinalizer, t) : this.maskSecretValue(value, t);
      case 'ownerReferences':
        return Array.isArray(value) ? this.mapArray(value, this.secretOwnerReference, t) : this.maskSecretValue(value, t);
      case 'managedFields':
        return Array.isArray(value) ? this.mapArray(value, this.secretManagedFieldsEntry, t) : this.maskSecretValue(value, t);
      default:
        // generateName, selfLink and anything else.
        return this.maskSecretValue(value, t);
    }
  }

  private secretLabel(_key: string, value: unknown, t: Tally): unknown {
    return this.clearIf(value, isLabelValue(value), t);
  }

  private secretAnnotation(key: string, value: unknown, t: Tally): unknown {
    if (key === LAST_APPLIED_ANNOTATION && this.config.lastAppliedConfiguration && typeof value === 'string') return this.lastApplied(value, t);
    return this.clearIf(value, CLEAR_ANNOTATIONS.get(key)?.(value) === true, t);
  }

  private secretFinalizer(value: unknown, t: Tally): unknown {
    return this.clearIf(value, isQualifiedName(value), t);
  }

  private secretOwnerReference(ref: unknown, t: Tally): unknown {
    if (!isObject(ref)) return this.maskSecretValue(ref, t);
    return this.mapMembers(ref, (key, value) => this.clearIf(value, OWNER_REFERENCE_FIELDS.get(key)?.(value) === true, t), t);
  }

  /** A managedFields entry: its identifiers when well-formed, and `fieldsV1`, which holds only keys. */
  private secretManagedFieldsEntry(entry: unknown, t: Tally): unknown {
    if (!isObject(entry)) return this.maskSecretValue(entry, t);
    return this.mapMembers(entry, (key, value) => (key === 'fieldsV1' ? this.maskSecretValue(value, t) : this.clearIf(value, MANAGED_FIELDS_FIELDS.get(key)?.(value) === true, t)), t);
  }

  /**
   * `value` when it has the shape the allowlist keeps (`allowed`) and, as a string, neither contains
   * one of the Secret's own values nor matches a detector; otherwise masked.
   */
  private clearIf(value: unknown, allowed: boolean, t: Tally): unknown {
    if (!allowed) return this.maskSecretValue(value, t);
    if (typeof value !== 'string' || (t.known?.find(value) === undefined && !this.detected(value))) return value;
    return this.maskSecretValue(value, t);
  }

  /** Every string in `value` replaced with the Secret marker; keys, numbers, booleans and nulls stay. */
  private maskSecretValue(value: unknown, t: Tally): unknown {
    if (typeof value === 'string') return this.replace(value, SECRET_MARKER, t);
    if (typeof value !== 'object' || value === null) return value;
    if (Array.isArray(value)) return this.mapArray(value, this.maskSecretValue, t);
    return this.mapMembers(value as JsonObject, (_key, member) => this.maskSecretValue(member, t), t);
  }

  // ── ConfigMaps, tokens, everything else ──────────────────────────────────────────────────

  private configMap(obj: JsonObject, t: Tally): unknown {
    const walk = () => this.mapMembers(obj, this.configMapMember, t);
    return this.configMapKeys === undefined ? walk() : this.withKnown(configMapValues(obj, this.configMapKeys), t, walk);
  }

  private configMapMember(key: string, value: unknown, t: Tally): unknown {
    if (key === 'data' && isObject(value)) return this.mapMembers(value, this.configMapDatum, t);
    if (key === 'binaryData' && isObject(value)) return this.replaceValues(value, this.configMapKeys ?? NO_KEY, base64Marker('configmap'), t);
    return this.member(key, value, t);
  }

  private configMapDatum(name: string, value: unknown, t: Tally): unknown {
    return this.configMapKeys?.test(name) === true ? this.replace(value, maskMarker('configmap'), t) : this.any(value, t);
  }

  /** TokenRequest `status.token`, TokenReview `spec.token`. */
  private withToken(obj: JsonObject, field: 'status' | 'spec', t: Tally): unknown {
    return this.mapMembers(obj, (key, value) => (key === field && isObject(value) ? this.mapMembers(value, this.tokenMember, t) : this.member(key, value, t)), t);
  }

  private tokenMember(name: string, value: unknown, t: Tally): unknown {
    return name === 'token' ? this.replace(value, maskMarker('token'), t) : this.any(value, t);
  }

  // ── error Statuses ───────────────────────────────────────────────────────────────────────

  private status(obj: JsonObject, t: Tally): unknown {
    return this.mapMembers(obj, this.statusMember, t);
  }

  private statusMember(key: string, value: unknown, t: Tally): unknown {
    if (key === 'message' && typeof value === 'string') return this.statusMessage(value, t);
    if (key === 'details' && isObject(value)) return this.mapMembers(value, this.statusDetail, t);
    return this.member(key, value, t);
  }

  private statusDetail(key: string, value: unknown, t: Tally): unknown {
    return key === 'causes' && Array.isArray(value) ? this.mapArray(value, this.statusCause, t) : this.member(key, value, t);
  }

  private statusCause(cause: unknown, t: Tally): unknown {
    if (!isObject(cause)) return this.any(cause, t);
    return this.mapMembers(cause, (key, value) => (key === 'message' && typeof value === 'string' ? this.statusMessage(value, t) : this.member(key, value, t)), t);
  }

  /** An error message with each quoted invalid value masked as what it is, then the detectors. */
  private statusMessage(message: string, t: Tally): string {
    const values = invalidValues(message);
    if (values.length === 0) return this.text(message, t);
    const parts: string[] = [];
    let at = 0;
    for (const v of values) {
      parts.push(message.slice(at, v.start), this.invalidValue(v.value, message.slice(v.start, v.end), t));
      at = v.end;
    }
    parts.push(message.slice(at));
    return this.text(parts.join(''), t);
  }

  /**
   * A quoted invalid value: JSON (the patched object) masked as the object it is (as the request's
   * resource, whatever its `kind` now says) and quoted again; a value kgate cannot read, masked whole;
   * a plain value as it is (the detectors see it with the message).
   */
  private invalidValue(value: string | undefined, raw: string, t: Tally): string {
    const first = value?.trimStart()[0];
    if (value !== undefined && first !== '{' && first !== '[' && !value.startsWith('map[')) return raw;
    let parsed: unknown;
    try {
      parsed = JSON.parse(value ?? '');
    } catch {
      t.count++;
      return goQuote(maskMarker('invalid-value'));
    }
    const inner: Tally = { count: 0, known: t.known, scope: t.scope, quoted: true };
    const masked = isObject(parsed) && t.scope !== undefined ? this.asKind(parsed, t.scope, inner) : this.resource(parsed, undefined, inner);
    t.count += inner.count;
    return goQuote(JSON.stringify(masked));
  }

  // ── the generic walk ─────────────────────────────────────────────────────────────────────

  private generic(obj: JsonObject, t: Tally): JsonObject {
    return this.mapMembers(obj, this.member, t);
  }

  /** One member of an object whose kind has no rule for this key. */
  private member(key: string, value: unknown, t: Tally): unknown {
    // `kind` and `apiVersion` too: below the top they are a custom resource's free text, and a real
    // type name never holds a detector match (the shape check alone would pass `AKIA…` as a kind).
    if (typeof value === 'string') return this.text(value, t);
    if (typeof value !== 'object' || value === null) return value;
    if (key === 'metadata' && isObject(value)) return this.metadata(value, t);
    if (CONTAINER_ARRAYS.has(key) && Array.isArray(value)) return this.mapArray(value, this.container, t);
    return this.any(value, t);
  }

  /** Any JSON value: strings through detectors, containers walked. */
  private any(value: unknown, t: Tally): unknown {
    if (typeof value === 'string') return this.text(value, t);
    if (typeof value !== 'object' || value === null) return value;
    if (Array.isArray(value)) return this.mapArray(value, this.any, t);
    return this.generic(value as JsonObject, t);
  }

  private text(value: string, t: Tally): string {
    if (t.known !== undefined) {
      const reason = t.known.find(value);
      if (reason !== undefined) return this.replace(value, maskMarker(reason), t) as string;
    }
    if (value.length < 7 || (this.trigger !== undefined && !this.trigger.test(value))) return value;
    const masked = maskText(value, this.detectors);
    t.count += masked.count;
    return masked.text;
  }

  /** Whether a detector matches somewhere in `value`. */
  private detected(value: string): boolean {
    if (value.length < 7 || (this.trigger !== undefined && !this.trigger.test(value))) return false;
    return maskText(value, this.detectors).count > 0;
  }

  private metadata(meta: JsonObject, t: Tally): unknown {
    return this.mapMembers(meta, this.metadataMember, t);
  }

  /**
   * Server-set identity stays as it is (except in a patched object an error quotes); everything a write can set (generateName, finalizers,
   * ownerReferences, managedFields' manager, labels) goes through the detectors and known values.
   */
  private metadataMember(key: string, value: unknown, t: Tally): unknown {
    if (SERVER_SET_METADATA.has(key)) return t.quoted === true ? this.any(value, t) : value;
    if (key === 'annotations' && isObject(value)) return this.mapMembers(value, this.annotation, t);
    return this.any(value, t);
  }

  private annotation(key: string, value: unknown, t: Tally): unknown {
    if (typeof value !== 'string') return this.any(value, t);
    if (key === LAST_APPLIED_ANNOTATION && this.config.lastAppliedConfiguration) return this.lastApplied(value, t);
    if (this.annotations?.test(key) === true) return this.replace(value, maskMarker('annotation'), t);
    return this.text(value, t);
  }

  /**
   * Masks the manifest inside and re-serialises it even when nothing needed masking: the original
   * text may hold duplicate keys whose hidden values the parse never saw. Only the marker this
   * writes is taken as masked already: text that merely starts with a marker can hide a value.
   */
  private lastApplied(text: string, t: Tally): string {
    if (text === LAST_APPLIED_MARKER) return text;
    let manifest: unknown;
    try {
      manifest = JSON.parse(text);
    } catch {
      manifest = undefined;
    }
    // kubectl writes an object; anything else (a number parses too: a numeric PIN copied here) is masked whole.
    if (!isObject(manifest)) {
      t.count++;
      return LAST_APPLIED_MARKER;
    }
    const inner: Tally = { count: 0, known: t.known, scope: t.scope, ...(t.quoted ? { quoted: true } : {}) };
    const masked = this.resource(manifest, undefined, inner);
    t.count += inner.count;
    return JSON.stringify(masked) + (text.endsWith('\n') ? '\n' : '');
  }

  private container(container: unknown, t: Tally): unknown {
    if (!isObject(container)) return this.any(container, t);
    return this.mapMembers(container, this.containerMember, t);
  }

  private containerMember(key: string, value: unknown, t: Tally): unknown {
    return key === 'env' && Array.isArray(value) ? this.mapArray(value, this.envVar, t) : this.any(value, t);
  }

  private envVar(envVar: unknown, t: Tally): unknown {
    if (!isObject(envVar)) return this.any(envVar, t);
    const byName = this.envNames?.test(typeof envVar.name === 'string' ? envVar.name : '') === true;
    return this.mapMembers(envVar, byName ? this.namedSecretEnvMember : this.envMember, t);
  }

  private envMember(key: string, value: unknown, t: Tally): unknown {
    return key === 'name' ? value : this.any(value, t);
  }

  /** A member of an env var whose name marks its value as secret. */
  private namedSecretEnvMember(key: string, value: unknown, t: Tally): unknown {
    return key === 'value' ? this.replace(value, maskMarker('env'), t) : this.envMember(key, value, t);
  }

  /** Replaces a string value with `marker` (non-strings and markers stay). */
  private replace(value: unknown, marker: string, t: Tally): unknown {
    if (typeof value !== 'string' || value === marker) return value;
    t.count++;
    return marker;
  }

  /** Replaces the values of the keys `selected` matches with `marker`. */
  private replaceValues(map: JsonObject, selected: { test(key: string): boolean }, marker: string, t: Tally): JsonObject {
    let out: JsonObject | undefined;
    for (const key of Object.keys(map)) {
      const value = map[key];
      if (!selected.test(key)) continue;
      const next = this.replace(value, marker, t);
      if (next !== value) {
        out ??= { ...map };
        setOwn(out, key, next);
      }
    }
    return out ?? map;
  }
}

/**
 * Builds the masking engine for a policy's `masking` section.
 * @throws MaskError `MASK_CONFIG` for an unknown detector or an invalid glob.
 */
export function createMasker(config: MaskingConfig, opts: MaskerOptions = {}): Masker {
  return new ObjectMasker(config, opts);
}

/**
 * The masker for one caller: for a member of the policy's `exemptGroups`, one that masks nothing
 * (objects pass unchanged, no detectors for logs and exec), as the policy says; for anyone else
 * {@link createMasker}'s. The config is compiled either way, so a bad policy fails for everyone.
 * Audit records and recordings keep their own masking: an exemption never reaches the trail.
 * @throws MaskError `MASK_CONFIG` for an unknown detector or an invalid glob.
 */
export function maskerFor(config: MaskingConfig, groups: readonly string[], opts: MaskerOptions = {}): Masker {
  const masker = createMasker(config, opts);
  if (!masker.isExempt(groups)) return masker;
  return {
    exempt: true,
    detectors: Object.freeze([]),
    isExempt: (g) => masker.isExempt(g),
    maskObject: (obj) => ({ value: obj, count: 0 }),
  };
}

/**
 * `masker` for the responses to one request: every `maskObject` call knows the request's resource
 * (see MaskContext.target), so the streaming maskers, which only pass the list kind, mask a
 * Table or PartialObjectMetadata of Secrets as Secrets. Everything else is `masker`'s own.
 */
export function maskerForTarget(masker: Masker, target: MaskTarget): Masker {
  if (masker.exempt) return masker;
  const scoped = { apiGroup: target.apiGroup, resource: target.resource };
  return Object.create(masker, {
    maskObject: { value: (obj: unknown, ctx: MaskContext = {}) => masker.maskObject(obj, { ...ctx, target: scoped }) },
  }) as Masker;
}
