/**
 * Turns the bytes of one Kubernetes protobuf message into the JSON that Go's encoding/json would
 * print for the struct the apiserver decodes them into. The wire is read strictly the way the
 * generated gogo-protobuf code reads it (wrong wire types and truncation are errors, unknown fields
 * are skipped), and the JSON follows the struct tags recorded in protobuf-schema.ts.
 */
import protobuf from 'protobufjs';

/** A body that the real apiserver's protobuf decoder would reject; the message mimics Go's error. */
export class MalformedProtobuf extends Error {
  override readonly name = 'MalformedProtobuf';
}

/** What one decode collects besides the JSON: the unknown fields it skipped, as `Message#number`. */
export interface DecodeContext {
  skipped: Set<string>;
}

type Json = unknown;
type JsonObject = Record<string, Json>;
type Occurrences = unknown[];

const META = '.k8s.io.apimachinery.pkg.apis.meta.v1';
/** Unix seconds of Go's zero time.Time (0001-01-01T00:00:00Z), which metav1.Time prints as null. */
const GO_ZERO_TIME_SECONDS = -62135596800;
/** 9999-12-31T23:59:59Z, the last instant RFC 3339's four-digit year can print. */
const MAX_RFC3339_SECONDS = 253402300799;
/** What ParseQuantity accepts: a decimal number and an optional binary-SI, decimal-SI or exponent suffix. */
const QUANTITY = /^[+-]?(\d+\.?\d*|\.\d+)([KMGTPE]i|[numkMGTPE]|[eE][+-]?\d+)?$/;

const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

function goOption(field: protobuf.FieldBase): string | undefined {
  return field.options?.['(go)'] as string | undefined;
}

function jsonName(field: protobuf.FieldBase): string {
  return (field.options?.['(json)'] as string | undefined) ?? field.name;
}

/** Sets a key even when it is `__proto__`, so map keys from the wire never touch a prototype. */
function setKey(object: JsonObject, key: string, value: Json): void {
  Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
}

function toNumber(value: unknown): number {
  return typeof value === 'number' ? value : (value as { toNumber(): number }).toNumber();
}

function readScalar(type: string, reader: protobuf.Reader): unknown {
  switch (type) {
    case 'string':
      return utf8.decode(reader.bytes());
    case 'bytes':
      return reader.bytes();
    case 'bool':
      return reader.bool();
    default: {
      const read = (reader as unknown as Record<string, () => unknown>)[type];
      if (!read) throw new MalformedProtobuf(`proto: unsupported scalar type ${type}`);
      const value = read.call(reader);
      return type in protobuf.types.long ? toNumber(value) : value;
    }
  }
}

function expectWireType(field: protobuf.FieldBase, wireType: number, expected: number): void {
  if (wireType !== expected) throw new MalformedProtobuf(`proto: wrong wireType = ${wireType} for field ${field.name}`);
}

/** Reads one occurrence of a known field; a packed repeated scalar yields several values. */
function readField(field: protobuf.FieldBase, wireType: number, reader: protobuf.Reader): unknown[] {
  if (field.map || field.resolvedType) {
    expectWireType(field, wireType, 2);
    return [reader.bytes()];
  }
  const packable = field.repeated && field.type in protobuf.types.packed;
  if (packable && wireType === 2) {
    const end = reader.uint32() + reader.pos;
    if (end > reader.len) throw new MalformedProtobuf('unexpected EOF');
    const values: unknown[] = [];
    while (reader.pos < end) values.push(readScalar(field.type, reader));
    return values;
  }
  expectWireType(field, wireType, protobuf.types.basic[field.type as keyof typeof protobuf.types.basic]);
  return [readScalar(field.type, reader)];
}

function readTag(reader: protobuf.Reader, messageName: string): { id: number; wireType: number } {
  const tag = reader.uint32();
  const id = tag >>> 3;
  const wireType = tag & 7;
  if (id === 0) throw new MalformedProtobuf(`proto: ${messageName}: illegal tag 0 (wire type ${wireType})`);
  if (wireType === 4) throw new MalformedProtobuf(`proto: ${messageName}: wiretype end group for non-group`);
  return { id, wireType };
}

/** Every occurrence of every known field, by field number; unknown fields are skipped and noted. */
function scan(type: protobuf.Type, bytes: Uint8Array, context: DecodeContext): Map<number, Occurrences> {
  const reader = protobuf.Reader.create(bytes);
  const found = new Map<number, Occurrences>();
  while (reader.pos < reader.len) {
    const { id, wireType } = readTag(reader, type.name);
    const field = type.fieldsById[id];
    if (!field) {
      context.skipped.add(`${type.fullName.slice(1)}#${id}`);
      reader.skipType(wireType);
      continue;
    }
    const list = found.get(id) ?? [];
    list.push(...readField(field, wireType, reader));
    found.set(id, list);
  }
  return found;
}

/** Protobuf merges repeated occurrences of a message field, which is decoding their concatenation. */
function concat(chunks: Occurrences): Uint8Array {
  return Buffer.concat(chunks as Uint8Array[]);
}

function timeJson(chunks: Occurrences): Json {
  const last = chunks.at(-1) as Uint8Array | undefined;
  if (!last || last.length === 0) return null;
  const fields = new Map<number, unknown>();
  const reader = protobuf.Reader.create(last);
  while (reader.pos < reader.len) {
    const { id, wireType } = readTag(reader, 'Timestamp');
    if (id <= 2 && wireType !== 0) throw new MalformedProtobuf(`proto: wrong wireType = ${wireType} for field ${id === 1 ? 'Seconds' : 'Nanos'}`);
    if (id === 1) fields.set(1, toNumber(reader.int64()));
    else reader.skipType(wireType);
  }
  // metav1.Time keeps whole seconds only: its Unmarshal drops nanos.
  const seconds = (fields.get(1) as number | undefined) ?? 0;
  if (seconds === GO_ZERO_TIME_SECONDS) return null;
  if (seconds < GO_ZERO_TIME_SECONDS || seconds > MAX_RFC3339_SECONDS) throw new MalformedProtobuf(`proto: Time: seconds ${seconds} out of range`);
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function lastOf(fields: Map<number, Occurrences>, id: number): unknown {
  return fields.get(id)?.at(-1);
}

function quantityJson(type: protobuf.Type, chunks: Occurrences, context: DecodeContext): Json {
  const last = chunks.at(-1) as Uint8Array | undefined;
  if (!last) return '0';
  const text = lastOf(scan(type, last, context), 1) as string | undefined;
  // Quantity's Unmarshal parses the string and fails on anything ParseQuantity rejects.
  if (text === undefined) return '0';
  if (!QUANTITY.test(text)) throw new MalformedProtobuf('quantities must match the regular expression \'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$\'');
  return text;
}

function intOrStringJson(type: protobuf.Type, chunks: Occurrences, context: DecodeContext): Json {
  const fields = scan(type, concat(chunks), context);
  const kind = (lastOf(fields, 1) as number | undefined) ?? 0;
  if (kind === 0) return (lastOf(fields, 2) as number | undefined) ?? 0;
  if (kind === 1) return (lastOf(fields, 3) as string | undefined) ?? '';
  throw new MalformedProtobuf('impossible IntOrString.Type');
}

/** FieldsV1 carries managed-field JSON verbatim; Go embeds it as is, so it must be valid JSON. */
function fieldsV1Json(type: protobuf.Type, chunks: Occurrences, context: DecodeContext): Json {
  const raw = lastOf(scan(type, concat(chunks), context), 1) as Uint8Array | undefined;
  if (!raw) return null;
  try {
    return JSON.parse(utf8.decode(raw)) as Json;
  } catch {
    throw new MalformedProtobuf('json: error calling MarshalJSON for type *v1.FieldsV1: invalid JSON');
  }
}

/** ExtraValue is a Go `[]string`; protobuf wraps it in a message. */
function extraValueJson(type: protobuf.Type, chunks: Occurrences, context: DecodeContext): Json {
  const items = scan(type, concat(chunks), context).get(1) ?? [];
  return items.length > 0 ? items : null;
}

type SpecialJson = (type: protobuf.Type, chunks: Occurrences, context: DecodeContext) => Json;

/** Types whose Go JSON is not a plain object of their fields. */
const SPECIAL: ReadonlyMap<string, SpecialJson> = new Map<string, SpecialJson>([
  [`${META}.Time`, (_type, chunks) => timeJson(chunks)],
  [`${META}.FieldsV1`, fieldsV1Json],
  ['.k8s.io.apimachinery.pkg.api.resource.Quantity', quantityJson],
  ['.k8s.io.apimachinery.pkg.util.intstr.IntOrString', intOrStringJson],
  ['.k8s.io.api.authentication.v1.ExtraValue', extraValueJson],
]);

function scalarJson(type: string, value: unknown): Json {
  return type === 'bytes' ? Buffer.from(value as Uint8Array).toString('base64') : value;
}

function isZero(value: unknown): boolean {
  return value === '' || value === 0 || value === false || (value instanceof Uint8Array && value.length === 0);
}

function zeroOf(type: string): Json {
  if (type === 'string') return '';
  if (type === 'bool') return false;
  if (type === 'bytes') return null;
  return 0;
}

function readMapValue(field: protobuf.MapField, wireType: number, reader: protobuf.Reader): unknown {
  if (field.resolvedType) {
    expectWireType(field, wireType, 2);
    return reader.bytes();
  }
  expectWireType(field, wireType, protobuf.types.basic[field.type as keyof typeof protobuf.types.basic]);
  return readScalar(field.type, reader);
}

function mapEntry(field: protobuf.MapField, entry: Uint8Array): { key: string; value: unknown } {
  const reader = protobuf.Reader.create(entry);
  let key = '';
  let value: unknown;
  while (reader.pos < reader.len) {
    const { id, wireType } = readTag(reader, `${field.name} entry`);
    if (id === 1) {
      expectWireType(field, wireType, 2);
      key = utf8.decode(reader.bytes());
    } else if (id === 2) {
      value = readMapValue(field, wireType, reader);
    } else reader.skipType(wireType);
  }
  return { key, value };
}

function mapJson(field: protobuf.MapField, entries: Occurrences, context: DecodeContext): JsonObject {
  const byKey = new Map<string, Json>();
  for (const entry of entries) {
    const { key, value } = mapEntry(field, entry as Uint8Array);
    if (field.resolvedType) byKey.set(key, messageJson(field.resolvedType as protobuf.Type, value === undefined ? [] : [value], context));
    else byKey.set(key, value === undefined ? zeroOf(field.type) : scalarJson(field.type, value));
  }
  const object: JsonObject = {};
  // encoding/json prints map keys sorted.
  for (const key of [...byKey.keys()].sort()) setKey(object, key, byKey.get(key));
  return object;
}

function repeatedJson(field: protobuf.FieldBase, occurrences: Occurrences, context: DecodeContext): Json[] {
  const type = field.resolvedType as protobuf.Type | null;
  return occurrences.map((value) => (type ? messageJson(type, [value], context) : scalarJson(field.type, value)));
}

function singularScalarJson(field: protobuf.FieldBase, occurrences: Occurrences): Json {
  const mode = goOption(field);
  const last = occurrences.at(-1);
  if (mode === 'ptr') return occurrences.length > 0 ? scalarJson(field.type, last) : undefined;
  if (mode === 'always') return occurrences.length > 0 ? scalarJson(field.type, last) : zeroOf(field.type);
  return occurrences.length > 0 && !isZero(last) ? scalarJson(field.type, last) : undefined;
}

/** The JSON of one field, or `undefined` when Go would leave it out. */
function fieldJson(field: protobuf.FieldBase, occurrences: Occurrences, context: DecodeContext): Json {
  const absent = goOption(field) === 'always' ? null : undefined;
  if (field instanceof protobuf.MapField) {
    const object = mapJson(field, occurrences, context);
    return Object.keys(object).length > 0 ? object : absent;
  }
  if (field.repeated) return occurrences.length > 0 ? repeatedJson(field, occurrences, context) : absent;
  if (field.resolvedType) {
    if (goOption(field) === 'ptr' && occurrences.length === 0) return undefined;
    return messageJson(field.resolvedType as protobuf.Type, occurrences, context);
  }
  return singularScalarJson(field, occurrences);
}

/**
 * The Go JSON of a message given every occurrence of it on the wire (none means the zero value),
 * fields in declaration order, which is the Go struct's order.
 */
export function messageJson(type: protobuf.Type, chunks: Occurrences, context: DecodeContext): Json {
  const special = SPECIAL.get(type.fullName);
  if (special) return special(type, chunks, context);
  const fields = scan(type, concat(chunks), context);
  const object: JsonObject = {};
  for (const field of type.fieldsArray) {
    const value = fieldJson(field, fields.get(field.id) ?? [], context);
    if (goOption(field) === 'inline') Object.assign(object, value);
    else if (value !== undefined) setKey(object, jsonName(field), value);
  }
  return object;
}
