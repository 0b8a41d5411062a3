/**
 * Decoding of the protobuf request bodies the broker must read to decide: SelfSubjectAccessReview
 * and SelfSubjectRulesReview, which kubectl ≥ 1.32 and client-go ≥ 0.32 typed clients send as
 * `application/vnd.kubernetes.protobuf` (docs/k8s-protocol.md §3). The body is the `k8s\0` magic followed by a
 * runtime.Unknown{typeMeta, raw, contentEncoding, contentType} whose `raw` is the typed message.
 * The result is the JSON the same client would have sent, shaped like Go's encoding/json output
 * (field order, omitempty, `creationTimestamp: null`). Any other type is reported unsupported.
 */
import { expectWire, MalformedProtobuf, ProtoReader, WIRE_BYTES, WIRE_VARINT } from './protobuf-reader.js';

/** The decoded body, or why it could not be decoded. */
export type ProtobufDecodeResult =
  | { ok: true; apiVersion: string; kind: string; object: Record<string, unknown> }
  | { ok: false; error: 'unsupported'; apiVersion: string; kind: string; message: string }
  | { ok: false; error: 'malformed'; message: string };

/** The four bytes every Kubernetes protobuf body starts with. */
export const PROTOBUF_MAGIC: readonly number[] = [0x6b, 0x38, 0x73, 0x00];

type Emit = 'omitempty' | 'always';
type FieldType = 'string' | 'bool' | 'int64' | 'strings' | 'map' | 'time' | 'message' | 'messages';
interface FieldSpec {
  number: number;
  name: string;
  type: FieldType;
  emit: Emit;
  schema?: Schema;
}
type Schema = readonly FieldSpec[];

const f = (number: number, name: string, type: FieldType, emit: Emit = 'omitempty', schema?: Schema): FieldSpec => ({ number, name, type, emit, schema });

// Field numbers from k8s.io/api authorization/v1 and apimachinery meta/v1 generated.proto; listed in
// the Go struct (JSON) order.
const OBJECT_META: Schema = [
  f(1, 'name', 'string'), f(2, 'generateName', 'string'), f(3, 'namespace', 'string'), f(5, 'uid', 'string'),
  f(6, 'resourceVersion', 'string'), f(7, 'generation', 'int64'), f(8, 'creationTimestamp', 'time', 'always'),
  f(11, 'labels', 'map'), f(12, 'annotations', 'map'), f(14, 'finalizers', 'strings'),
];
const REQUIREMENT: Schema = [f(1, 'key', 'string'), f(2, 'operator', 'string'), f(3, 'values', 'strings')];
const SELECTOR_ATTRIBUTES: Schema = [f(1, 'rawSelector', 'string'), f(2, 'requirements', 'messages', 'omitempty', REQUIREMENT)];
const RESOURCE_ATTRIBUTES: Schema = [
  f(1, 'namespace', 'string'), f(2, 'verb', 'string'), f(3, 'group', 'string'), f(4, 'version', 'string'), f(5, 'resource', 'string'),
  f(6, 'subresource', 'string'), f(7, 'name', 'string'), f(8, 'fieldSelector', 'message', 'omitempty', SELECTOR_ATTRIBUTES),
  f(9, 'labelSelector', 'message', 'omitempty', SELECTOR_ATTRIBUTES),
];
const NON_RESOURCE_ATTRIBUTES: Schema = [f(1, 'path', 'string'), f(2, 'verb', 'string')];
const SSAR_SPEC: Schema = [
  f(1, 'resourceAttributes', 'message', 'omitempty', RESOURCE_ATTRIBUTES),
  f(2, 'nonResourceAttributes', 'message', 'omitempty', NON_RESOURCE_ATTRIBUTES),
];
const SAR_STATUS: Schema = [f(1, 'allowed', 'bool', 'always'), f(4, 'denied', 'bool'), f(2, 'reason', 'string'), f(3, 'evaluationError', 'string')];
const SSAR: Schema = [f(1, 'metadata', 'message', 'always', OBJECT_META), f(2, 'spec', 'message', 'always', SSAR_SPEC), f(3, 'status', 'message', 'always', SAR_STATUS)];

const RESOURCE_RULE: Schema = [f(1, 'verbs', 'strings', 'always'), f(2, 'apiGroups', 'strings'), f(3, 'resources', 'strings'), f(4, 'resourceNames', 'strings')];
const NON_RESOURCE_RULE: Schema = [f(1, 'verbs', 'strings', 'always'), f(2, 'nonResourceURLs', 'strings')];
const SSRR_SPEC: Schema = [f(1, 'namespace', 'string')];
const RULES_STATUS: Schema = [
  f(1, 'resourceRules', 'messages', 'always', RESOURCE_RULE), f(2, 'nonResourceRules', 'messages', 'always', NON_RESOURCE_RULE),
  f(3, 'incomplete', 'bool', 'always'), f(4, 'evaluationError', 'string'),
];
const SSRR: Schema = [f(1, 'metadata', 'message', 'always', OBJECT_META), f(2, 'spec', 'message', 'always', SSRR_SPEC), f(3, 'status', 'message', 'always', RULES_STATUS)];

const SUPPORTED: Readonly<Record<string, Schema>> = {
  'authorization.k8s.io/v1 SelfSubjectAccessReview': SSAR,
  'authorization.k8s.io/v1beta1 SelfSubjectAccessReview': SSAR,
  'authorization.k8s.io/v1 SelfSubjectRulesReview': SSRR,
  'authorization.k8s.io/v1beta1 SelfSubjectRulesReview': SSRR,
};

type Decoded = Record<string, unknown>;

function readMapEntry(reader: ProtoReader): [string, string] {
  let key = '';
  let value = '';
  while (!reader.done()) {
    const { field, wire } = reader.tag();
    if (field === 1 || field === 2) {
      expectWire(wire, WIRE_BYTES, field);
      if (field === 1) key = reader.string();
      else value = reader.string();
    } else reader.skip(wire);
  }
  return [key, value];
}

function readTime(reader: ProtoReader, previous: unknown): { seconds: number; nanos: number } {
  const time = { ...((previous as { seconds: number; nanos: number } | undefined) ?? { seconds: 0, nanos: 0 }) };
  while (!reader.done()) {
    const { field, wire } = reader.tag();
    if (field === 1 || field === 2) {
      expectWire(wire, WIRE_VARINT, field);
      if (field === 1) time.seconds = reader.int64();
      else time.nanos = reader.int64();
    } else reader.skip(wire);
  }
  return time;
}

function readField(reader: ProtoReader, spec: FieldSpec, wire: number, into: Decoded): void {
  const expected = spec.type === 'bool' || spec.type === 'int64' ? WIRE_VARINT : WIRE_BYTES;
  expectWire(wire, expected, spec.number);
  const current = into[spec.name];
  switch (spec.type) {
    case 'string': into[spec.name] = reader.string(); break;
    case 'bool': into[spec.name] = reader.varint() !== 0; break;
    case 'int64': into[spec.name] = reader.int64(); break;
    case 'strings': into[spec.name] = [...((current as string[] | undefined) ?? []), reader.string()]; break;
    case 'map': {
      const [key, value] = readMapEntry(reader.message());
      into[spec.name] = { ...((current as Record<string, string> | undefined) ?? {}), [key]: value };
      break;
    }
    case 'time': into[spec.name] = readTime(reader.message(), current); break;
    // A repeated embedded message field appends; a singular one merges into what came before.
    case 'message': into[spec.name] = readMessage(reader.message(), spec.schema!, (current as Decoded | undefined) ?? {}); break;
    case 'messages': into[spec.name] = [...((current as Decoded[] | undefined) ?? []), readMessage(reader.message(), spec.schema!, {})]; break;
  }
}

function readMessage(reader: ProtoReader, schema: Schema, into: Decoded): Decoded {
  while (!reader.done()) {
    const { field, wire } = reader.tag();
    const spec = schema.find((s) => s.number === field);
    if (spec) readField(reader, spec, wire, into);
    else reader.skip(wire);
  }
  return into;
}

function timeJson(value: unknown): string | null {
  const time = value as { seconds: number; nanos: number } | undefined;
  if (!time || (time.seconds === 0 && time.nanos === 0)) return null;
  const date = new Date(time.seconds * 1000);
  const year = date.getUTCFullYear();
  // Go's Time.MarshalJSON fails outside years 0-9999, and so does decoding here.
  if (!Number.isFinite(year) || year < 0 || year > 9999) throw new MalformedProtobuf('timestamp out of range');
  // metav1.Time marshals in RFC 3339 with whole seconds.
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function isEmpty(value: unknown): boolean {
  if (value === undefined || value === '' || value === false || value === 0) return true;
  if (Array.isArray(value)) return value.length === 0;
  return false;
}

function toJson(schema: Schema, decoded: Decoded): Decoded {
  const out: Decoded = {};
  for (const spec of schema) {
    const value = decoded[spec.name];
    if (spec.type === 'time') {
      out[spec.name] = timeJson(value);
      continue;
    }
    if (spec.type === 'message') {
      if (value !== undefined || spec.emit === 'always') out[spec.name] = toJson(spec.schema!, (value as Decoded | undefined) ?? {});
      continue;
    }
    if (spec.emit === 'omitempty' && (isEmpty(value) || (spec.type === 'map' && Object.keys(value as object).length === 0))) continue;
    if (spec.type === 'messages') out[spec.name] = value === undefined ? null : (value as Decoded[]).map((m) => toJson(spec.schema!, m));
    else if (value === undefined) out[spec.name] = spec.type === 'strings' ? null : spec.type === 'bool' ? false : '';
    else out[spec.name] = value;
  }
  return out;
}

interface Envelope {
  apiVersion: string;
  kind: string;
  raw: Uint8Array;
  contentEncoding: string;
}

function readEnvelope(body: Uint8Array): Envelope {
  if (body.length < 4 || PROTOBUF_MAGIC.some((b, i) => body[i] !== b)) throw new MalformedProtobuf('the body does not start with the k8s protobuf magic');
  const envelope: Envelope = { apiVersion: '', kind: '', raw: new Uint8Array(0), contentEncoding: '' };
  const reader = new ProtoReader(body, 4);
  while (!reader.done()) {
    const { field, wire } = reader.tag();
    if (field >= 1 && field <= 4) expectWire(wire, WIRE_BYTES, field);
    if (field === 1) {
      const typeMeta = reader.message();
      while (!typeMeta.done()) {
        const t = typeMeta.tag();
        if (t.field === 1 || t.field === 2) {
          expectWire(t.wire, WIRE_BYTES, t.field);
          if (t.field === 1) envelope.apiVersion = typeMeta.string();
          else envelope.kind = typeMeta.string();
        } else typeMeta.skip(t.wire);
      }
    } else if (field === 2) envelope.raw = reader.bytesField();
    else if (field === 3) envelope.contentEncoding = reader.string();
    else reader.skip(wire);
  }
  return envelope;
}

/**
 * Decodes a `application/vnd.kubernetes.protobuf` request body into the equivalent JSON object
 * when it is a SelfSubjectAccessReview or SelfSubjectRulesReview (authorization.k8s.io v1 or
 * v1beta1); anything else is `unsupported`, anything unreadable `malformed`. Never throws.
 */
export function decodeProtobufBody(body: Uint8Array): ProtobufDecodeResult {
  try {
    const envelope = readEnvelope(body);
    const schema = SUPPORTED[`${envelope.apiVersion} ${envelope.kind}`];
    if (!schema || envelope.contentEncoding !== '') {
      const what = envelope.contentEncoding ? `content encoding "${envelope.contentEncoding}"` : `${envelope.kind || 'unknown kind'} (${envelope.apiVersion || 'no apiVersion'})`;
      return { ok: false, error: 'unsupported', apiVersion: envelope.apiVersion, kind: envelope.kind, message: `protobuf bodies of ${what} are not supported` };
    }
    const decoded = readMessage(new ProtoReader(envelope.raw), schema, {});
    const object = { kind: envelope.kind, apiVersion: envelope.apiVersion, ...toJson(schema, decoded) };
    return { ok: true, apiVersion: envelope.apiVersion, kind: envelope.kind, object };
  } catch (e) {
    if (e instanceof MalformedProtobuf) return { ok: false, error: 'malformed', message: e.message };
    throw e;
  }
}
