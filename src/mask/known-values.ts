/**
 * Values an object masks in one place (Secret data, the ConfigMap keys and env vars the policy
 * marks), looked for in every other string of the same object: a value a patch or a controller
 * copied into a label, an annotation or an owner's name is masked there too. Each value is looked
 * for as it is and as base64 (Secret data: as stored, and decoded when it is text).
 *
 * Values shorter than {@link MIN_KNOWN_LENGTH} characters are not looked for: `true`, `5432` or
 * `prod` would mask half an object and say little about a secret. Searching is linear in the text:
 * a few values are found with `includes`, many through an index of their first characters. Pure.
 */
import { isMarked, type MaskReason } from './marker.js';

/** Shortest value (in UTF-16 code units) that is looked for elsewhere. */
export const MIN_KNOWN_LENGTH = 6;
/** Up to this many forms are searched one `includes` each; more go through the anchor index. */
const FEW = 8;

type JsonObject = Record<string, unknown>;

const CONTAINER_ARRAYS = new Set(['containers', 'initContainers', 'ephemeralContainers']);
const utf8 = new TextDecoder('utf-8', { fatal: true });

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function unpadded(base64: string): string {
  return base64.replace(/=+$/, '');
}

/** A set of values to look for, each with the reason its marker names. */
export class KnownValues {
  private readonly forms = new Map<string, MaskReason>();
  /** Forms by their first MIN_KNOWN_LENGTH characters, built on first use past FEW forms. */
  private anchors: Map<string, string[]> | undefined;

  /** No values: nothing to look for. */
  get empty(): boolean {
    return this.forms.size === 0;
  }

  /** Adds a plain-text value and its base64. */
  addText(value: unknown, reason: MaskReason): void {
    if (typeof value !== 'string' || isMarked(value)) return;
    this.addForm(value, reason);
    this.addForm(unpadded(Buffer.from(value, 'utf8').toString('base64')), reason);
  }

  /** Adds a base64 value as stored (without padding, so it is found padded or not) and as the text it decodes to. */
  addBase64(value: unknown, reason: MaskReason): void {
    if (typeof value !== 'string') return;
    const bytes = Buffer.from(value, 'base64');
    if (unpadded(bytes.toString('base64')) !== unpadded(value)) {
      // Not base64 after all (only a broken apiserver stores that): look for it as it is.
      this.addForm(value, reason);
      return;
    }
    let text: string | undefined;
    try {
      text = utf8.decode(bytes);
    } catch {
      // Binary data: only its base64 can appear in a string.
    }
    // A value masked already (a response masked twice) is no value to look for.
    if (text !== undefined && isMarked(text)) return;
    this.addForm(unpadded(value), reason);
    if (text !== undefined) this.addForm(text, reason);
  }

  /** Adds every value of `other`. */
  addAll(other: KnownValues): void {
    for (const [form, reason] of other.forms) this.addForm(form, reason);
  }

  private addForm(form: string, reason: MaskReason): void {
    if (form.length < MIN_KNOWN_LENGTH || this.forms.has(form)) return;
    this.forms.set(form, reason);
    this.anchors = undefined;
  }

  /** The reason of the first value `text` contains, or undefined when it contains none. */
  find(text: string): MaskReason | undefined {
    if (this.forms.size === 0 || text.length < MIN_KNOWN_LENGTH) return undefined;
    if (this.forms.size <= FEW) {
      for (const [form, reason] of this.forms) if (text.includes(form)) return reason;
      return undefined;
    }
    const anchors = (this.anchors ??= this.index());
    for (let i = 0; i + MIN_KNOWN_LENGTH <= text.length; i++) {
      const candidates = anchors.get(text.slice(i, i + MIN_KNOWN_LENGTH));
      if (!candidates) continue;
      for (const form of candidates) if (text.startsWith(form, i)) return this.forms.get(form);
    }
    return undefined;
  }

  private index(): Map<string, string[]> {
    const anchors = new Map<string, string[]>();
    for (const form of this.forms.keys()) {
      const anchor = form.slice(0, MIN_KNOWN_LENGTH);
      const list = anchors.get(anchor);
      if (list) list.push(form);
      else anchors.set(anchor, [form]);
    }
    return anchors;
  }
}

/** The values of a Secret: every `data` value (base64) and `stringData` value (text). */
export function secretValues(secret: JsonObject): KnownValues {
  const known = new KnownValues();
  if (isObject(secret.data)) for (const value of Object.values(secret.data)) known.addBase64(value, 'secret');
  if (isObject(secret.stringData)) for (const value of Object.values(secret.stringData)) known.addText(value, 'secret');
  return known;
}

/** The values of the ConfigMap keys `keys` marks, in `data` (text) and `binaryData` (base64). */
export function configMapValues(configMap: JsonObject, keys: RegExp): KnownValues {
  const known = new KnownValues();
  if (isObject(configMap.data)) for (const [key, value] of Object.entries(configMap.data)) if (keys.test(key)) known.addText(value, 'configmap');
  if (isObject(configMap.binaryData)) for (const [key, value] of Object.entries(configMap.binaryData)) if (keys.test(key)) known.addBase64(value, 'configmap');
  return known;
}

/**
 * The values of the env vars `names` marks, in every containers array anywhere in `obj` (the same
 * places the masker masks them), added to `known`.
 */
export function addEnvValues(obj: unknown, names: RegExp, known: KnownValues): void {
  if (Array.isArray(obj)) {
    for (const item of obj) if (typeof item === 'object' && item !== null) addEnvValues(item, names, known);
    return;
  }
  if (!isObject(obj)) return;
  for (const key of Object.keys(obj)) {
    const value = obj[key];
    if (typeof value !== 'object' || value === null) continue;
    if (CONTAINER_ARRAYS.has(key) && Array.isArray(value)) {
      for (const container of value) {
        if (!isObject(container) || !Array.isArray(container.env)) continue;
        for (const envVar of container.env) {
          if (isObject(envVar) && typeof envVar.name === 'string' && names.test(envVar.name)) known.addText(envVar.value, 'env');
        }
      }
    }
    addEnvValues(value, names, known);
  }
}
