/**
 * What the apiserver does after a JSON or merge patch: it decodes the patched JSON into the typed
 * object (apiserver handlers/patch.go, jsonPatcher.applyPatchToCurrentObject). A value of the wrong
 * type fails the decode; an unknown field fails it under `fieldValidation=Strict` (kubectl's
 * default) and is dropped otherwise. A failed decode answers 422 with the whole patched object,
 * Go-quoted, as the invalid value of the field `patch`: a real apiserver puts Secret data into that
 * message, which is what kgate must mask. Modelled for the kinds whose fields are listed here.
 */
import { goQuote } from '../../../src/kube/status.js';
import { StatusError, type KubeObject } from './types.js';

type FieldType = 'string' | 'bool' | 'stringMap' | 'object' | 'array';

const META: Record<string, FieldType> = { apiVersion: 'string', kind: 'string', metadata: 'object' };
const SPEC_STATUS: Record<string, FieldType> = { ...META, spec: 'object', status: 'object' };

/** Top-level fields of the modelled kinds and the JSON type each decodes from. */
const FIELDS: Record<string, Record<string, FieldType>> = {
  Secret: { ...META, data: 'stringMap', stringData: 'stringMap', type: 'string', immutable: 'bool' },
  ConfigMap: { ...META, data: 'stringMap', binaryData: 'stringMap', immutable: 'bool' },
  Pod: SPEC_STATUS,
  Namespace: SPEC_STATUS,
  Deployment: SPEC_STATUS,
  ServiceAccount: { ...META, secrets: 'array', imagePullSecrets: 'array', automountServiceAccountToken: 'bool' },
};

/** ObjectMeta fields the model checks the type of. */
const METADATA_FIELDS: Record<string, FieldType> = { name: 'string', generateName: 'string', namespace: 'string', labels: 'stringMap', annotations: 'stringMap', finalizers: 'array' };

const GO_TYPES: Record<FieldType, string> = { string: 'string', bool: 'bool', stringMap: 'map[string]string', object: 'struct', array: 'slice' };

function jsonType(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'object' : typeof value;
}

function fits(value: unknown, type: FieldType): boolean {
  if (value === null) return true;
  switch (type) {
    case 'string': return typeof value === 'string';
    case 'bool': return typeof value === 'boolean';
    case 'array': return Array.isArray(value);
    case 'object': return jsonType(value) === 'object';
    case 'stringMap': return jsonType(value) === 'object' && Object.values(value as object).every((v) => typeof v === 'string' || v === null);
  }
}

function decodeError(patched: KubeObject, detail: string): StatusError {
  const text = `Invalid value: ${goQuote(JSON.stringify(patched))}: ${detail}`;
  return new StatusError(422, 'Invalid', ` "" is invalid: patch: ${text}`, { causes: [{ reason: 'FieldValueInvalid', message: text, field: 'patch' }] });
}

/** encoding/json's message for `value` in a field of `type`; for a map, the first value that is no string. */
function typeError(owner: string, path: string, value: unknown, type: FieldType): string {
  const inner = type === 'stringMap' && jsonType(value) === 'object' ? Object.values(value as object).find((v) => typeof v !== 'string' && v !== null) : undefined;
  if (inner !== undefined) return `json: cannot unmarshal ${jsonType(inner) === 'object' ? 'object' : jsonType(inner)} into Go struct field ${owner}.${path} of type string`;
  return `json: cannot unmarshal ${jsonType(value)} into Go struct field ${owner}.${path} of type ${GO_TYPES[type]}`;
}

/**
 * The patched object as the apiserver decodes it: unknown top-level fields dropped (or refused under
 * Strict), values of the wrong type refused. Kinds not modelled pass unchanged.
 */
export function decodePatched(patched: KubeObject, fieldValidation: string | null): KubeObject {
  const fields = FIELDS[patched.kind];
  if (!fields) return patched;
  for (const [key, value] of Object.entries(patched)) {
    const type = fields[key];
    if (type && !fits(value, type)) throw decodeError(patched, typeError(patched.kind, key, value, type));
  }
  const metadata = jsonType(patched.metadata) === 'object' ? (patched.metadata as Record<string, unknown>) : {};
  for (const [key, type] of Object.entries(METADATA_FIELDS)) {
    if (key in metadata && !fits(metadata[key], type)) throw decodeError(patched, typeError('ObjectMeta', `metadata.${key}`, metadata[key], type));
  }
  const unknown = Object.keys(patched).filter((key) => !(key in fields));
  if (unknown.length === 0) return patched;
  if (fieldValidation === 'Strict') {
    const detail = unknown.length === 1 ? `strict decoding error: unknown field ${JSON.stringify(unknown[0])}` : `strict decoding error: ${unknown.map((k) => `unknown field ${JSON.stringify(k)}`).join(', ')}`;
    throw decodeError(patched, detail);
  }
  return Object.fromEntries(Object.entries(patched).filter(([key]) => key in fields)) as KubeObject;
}
