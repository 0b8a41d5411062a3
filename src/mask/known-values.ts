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
import { isUtf8 } from 'node:buffer';
import { CONTAINER_ARRAYS } from './fields.js';
import { isMarked, type MaskReason } from './marker.js';

/** Marks names (a compiled glob list): whole-name match. */
interface NameMatcher {
  test(name: string): boolean;
}

/** Shortest value (in UTF-16 code units) that is looked for elsewhere. */
export const MIN_KNOWN_LENGTH = 6;
/** Up to this many forms are searched one `includes` each; more go through the anchor index. */
const FEW = 8;

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `base64` without its `=` padding, so it is found padded or not. */
function unpadded(base64: string): string {
  let end = base64.length;
  while (end > 0 && base64.charCodeAt(end - 1) === 0x3d) end--;
  return end === base64.length ? base64 : base64.slice(0, end);
}

/** One value as it was added: text, or base64 as a Secret stores it. */
interface Source {
  value: string;
  base64: boolean;
  reason: MaskReason;
  /** The shortest any of its forms can be, so a shorter text need not make them. */
  minLength: number;
}

/**
 * A set of values to look for, each with the reason its marker names. Adding is cheap: the forms
 * looked for (decoded, base64) are made on demand, only for values short enough to fit in a text
 * searched, so a Secret's long data values are not even decoded to check its short labels.
 */
export class KnownValues {
  private readonly sources: Source[] = [];
  /** The smallest minLength: a shorter text is answered at once. */
  private shortest = Infinity;
  private sorted = true;
  /** sources[0, made) have their forms in `forms`. */
  private made = 0;
  private forms: Map<string, MaskReason> | undefined;
  /** Forms by their first MIN_KNOWN_LENGTH characters, built on first use past FEW forms. */
  private anchors: Map<string, string[]> | undefined;

  /** No values: nothing to look for. */
  get empty(): boolean {
    return this.sources.length === 0;
  }

  /** Adds a plain-text value (looked for as it is and as base64). */
  addText(value: unknown, reason: MaskReason): void {
    if (typeof value === 'string' && value.length >= MIN_KNOWN_LENGTH && !isMarked(value)) this.add({ value, base64: false, reason, minLength: value.length });
  }

  /** Adds a base64 value (looked for as stored, and as the text it decodes to). */
  addBase64(value: unknown, reason: MaskReason): void {
    if (typeof value !== 'string' || value.length < MIN_KNOWN_LENGTH) return;
    // The decoded text has at least a third as many UTF-16 units as it has bytes (3-byte UTF-8 characters).
    const bytes = Math.floor((value.length * 3) / 4) - 2;
    this.add({ value, base64: true, reason, minLength: Math.max(MIN_KNOWN_LENGTH, Math.floor(bytes / 3)) });
  }

  /** Adds every value of `other`. */
  addAll(other: KnownValues): void {
    for (const source of other.sources) this.add(source);
  }

  private add(source: Source): void {
    this.sources.push(source);
    this.shortest = Math.min(this.shortest, source.minLength);
    this.sorted = false;
    this.made = 0;
    this.forms = undefined;
    this.anchors = undefined;
  }

  /** The reason of the first value `text` contains, or undefined when it contains none. */
  find(text: string): MaskReason | undefined {
    if (text.length < this.shortest) return undefined;
    const forms = this.makeForms(text.length);
    if (forms.size === 0) return undefined;
    if (forms.size <= FEW) {
      for (const [form, reason] of forms) if (text.includes(form)) return reason;
      return undefined;
    }
    const anchors = (this.anchors ??= anchorIndex(forms));
    for (let i = 0; i + MIN_KNOWN_LENGTH <= text.length; i++) {
      const candidates = anchors.get(text.slice(i, i + MIN_KNOWN_LENGTH));
      if (!candidates) continue;
      for (const form of candidates) if (text.startsWith(form, i)) return forms.get(form);
    }
    return undefined;
  }

  /** The forms of every value that could fit in a text of `length` (made now if need be). */
  private makeForms(length: number): Map<string, MaskReason> {
    if (!this.sorted) {
      this.sources.sort(byMinLength);
      this.sorted = true;
    }
    const forms = (this.forms ??= new Map());
    const before = this.made;
    while (this.made < this.sources.length && this.sources[this.made]!.minLength <= length) this.formsOf(forms, this.sources[this.made++]!);
    if (this.made !== before) this.anchors = undefined;
    return forms;
  }

  private formsOf(forms: Map<string, MaskReason>, { value, base64, reason }: Source): void {
    if (!base64) {
      put(forms, value, reason);
      put(forms, unpadded(Buffer.from(value, 'utf8').toString('base64')), reason);
      return;
    }
    const bytes = Buffer.from(value, 'base64');
    // Binary data: only its base64 can appear in a string.
    const text = isUtf8(bytes) ? bytes.toString('utf8') : undefined;
    // A value masked already (a response masked twice) is no value to look for.
    if (text !== undefined && isMarked(text)) return;
    put(forms, unpadded(value), reason);
    if (text !== undefined) put(forms, text, reason);
  }
}

function byMinLength(a: Source, b: Source): number {
  return a.minLength - b.minLength;
}

function put(forms: Map<string, MaskReason>, form: string, reason: MaskReason): void {
  if (form.length >= MIN_KNOWN_LENGTH && !forms.has(form)) forms.set(form, reason);
}

function anchorIndex(forms: ReadonlyMap<string, MaskReason>): Map<string, string[]> {
  const anchors = new Map<string, string[]>();
  for (const form of forms.keys()) {
    const anchor = form.slice(0, MIN_KNOWN_LENGTH);
    const list = anchors.get(anchor);
    if (list) list.push(form);
    else anchors.set(anchor, [form]);
  }
  return anchors;
}

/** The values of a Secret: every `data` value (base64) and `stringData` value (text). */
export function secretValues(secret: JsonObject): KnownValues {
  const known = new KnownValues();
  if (isObject(secret.data)) for (const value of Object.values(secret.data)) known.addBase64(value, 'secret');
  if (isObject(secret.stringData)) for (const value of Object.values(secret.stringData)) known.addText(value, 'secret');
  return known;
}

/** The values of the ConfigMap keys `keys` marks, in `data` (text) and `binaryData` (base64). */
export function configMapValues(configMap: JsonObject, keys: NameMatcher): KnownValues {
  const known = new KnownValues();
  if (isObject(configMap.data)) for (const [key, value] of Object.entries(configMap.data)) if (keys.test(key)) known.addText(value, 'configmap');
  if (isObject(configMap.binaryData)) for (const [key, value] of Object.entries(configMap.binaryData)) if (keys.test(key)) known.addBase64(value, 'configmap');
  return known;
}

/**
 * The values of the env vars `names` marks, in every containers array anywhere in `obj` (the same
 * places the masker masks them); undefined when there are none, which is most objects.
 */
export function envValues(obj: unknown, names: NameMatcher): KnownValues | undefined {
  const found = { names, known: undefined as KnownValues | undefined };
  visitEnv(obj, found);
  return found.known;
}

function visitEnv(node: unknown, found: { names: NameMatcher; known: KnownValues | undefined }): void {
  if (typeof node !== 'object' || node === null) return;
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) visitEnv(node[i], found);
    return;
  }
  for (const key in node) {
    if (!Object.hasOwn(node, key)) continue;
    const value = (node as JsonObject)[key];
    if (typeof value !== 'object' || value === null) continue;
    if (Array.isArray(value) && CONTAINER_ARRAYS.has(key)) addContainerEnv(value, found);
    visitEnv(value, found);
  }
}

function addContainerEnv(containers: readonly unknown[], found: { names: NameMatcher; known: KnownValues | undefined }): void {
  for (const container of containers) {
    const env = isObject(container) ? container.env : undefined;
    if (!Array.isArray(env)) continue;
    for (const envVar of env) {
      if (!isObject(envVar) || typeof envVar.value !== 'string' || typeof envVar.name !== 'string' || !found.names.test(envVar.name)) continue;
      (found.known ??= new KnownValues()).addText(envVar.value, 'env');
    }
  }
}
