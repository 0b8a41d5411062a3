/**
 * Decodes `application/vnd.kubernetes.protobuf` request bodies, which typed clients built on
 * client-go ≥0.32 (kubectl ≥1.32 `create …`, `auth can-i`, `auth whoami`, `create token`,
 * `debug`; the kubernetes MCP server) send, into the JSON object the REST core works with.
 *
 * A body is the magic `k8s\0` followed by a runtime.Unknown envelope whose typeMeta names the kind
 * and whose raw field holds the object's own message (apimachinery pkg/runtime/serializer/protobuf).
 */
import protobuf from 'protobufjs';
import { DELETE_OPTIONS, KUBE_PROTO_SOURCES, PROTOBUF_KINDS } from './protobuf-schema.js';
import { MalformedProtobuf, messageJson, type DecodeContext } from './protobuf-json.js';
import { StatusError, type KubeObject } from './types.js';

/** The media type of Kubernetes protobuf bodies. */
export const PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf';

const MAGIC = [0x6b, 0x38, 0x73, 0x00];

/** Options for {@link decodeKubeProtobuf}. */
export interface ProtobufDecodeOptions {
  /**
   * The endpoint's apiVersion and kind, used where the envelope leaves them empty, as the apiserver
   * fills them from the request path.
   */
  defaults?: { apiVersion?: string; kind?: string };
  /** Told what could not be decoded: unsupported kinds and skipped field numbers, never values. */
  log?: (line: string) => void;
}

let root: protobuf.Root | undefined;

function schema(): protobuf.Root {
  if (!root) {
    const parsed = new protobuf.Root();
    for (const source of KUBE_PROTO_SOURCES) protobuf.parse(source, parsed, { keepCase: true });
    parsed.resolveAll();
    root = parsed;
  }
  return root;
}

function badRequest(message: string): StatusError {
  return new StatusError(400, 'BadRequest', message);
}

/** Maps a decoding failure to the 400 the apiserver answers, with Go-like wording and no stack. */
function asBadRequest(error: unknown): StatusError {
  if (error instanceof StatusError) return error;
  if (error instanceof MalformedProtobuf) return badRequest(error.message);
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof RangeError || /index out of range/.test(message)) return badRequest('unexpected EOF');
  if (/invalid varint/.test(message)) return badRequest('proto: integer overflow');
  const wireType = /invalid wire type (\d+)/.exec(message)?.[1];
  if (wireType) return badRequest(`proto: illegal wireType ${wireType}`);
  return badRequest(`proto: ${message.split('\n')[0]}`);
}

function decodeOrThrow<T>(decode: () => T): T {
  try {
    return decode();
  } catch (error) {
    throw asBadRequest(error);
  }
}

interface Envelope {
  apiVersion: string;
  kind: string;
  raw: Uint8Array;
}

function readEnvelope(body: Uint8Array, context: DecodeContext): Envelope {
  const unknown = messageJson(schema().lookupType('k8s.io.apimachinery.pkg.runtime.Unknown'), [body.subarray(MAGIC.length)], context) as {
    typeMeta: { apiVersion?: string; kind?: string };
    raw?: string;
  };
  return {
    apiVersion: unknown.typeMeta.apiVersion ?? '',
    kind: unknown.typeMeta.kind ?? '',
    raw: Buffer.from(unknown.raw ?? '', 'base64'),
  };
}

function messageFor(apiVersion: string, kind: string): string | undefined {
  return kind === 'DeleteOptions' ? DELETE_OPTIONS : PROTOBUF_KINDS.get(`${apiVersion}/${kind}`);
}

function unsupportedKind(apiVersion: string, kind: string): StatusError {
  const known = [...PROTOBUF_KINDS.keys(), '*/DeleteOptions'].join(', ');
  return new StatusError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (protobuf is decoded only for ${known}; not for ${apiVersion}/${kind})`,
  );
}

function hasMagic(body: Uint8Array): boolean {
  return body.length >= MAGIC.length && MAGIC.every((byte, i) => body[i] === byte);
}

/**
 * Decodes one Kubernetes protobuf body into the JSON the apiserver would see: camelCase names,
 * fields left out where Go's `omitempty` drops them, `kind`/`apiVersion` from the envelope.
 * Fields the schema does not know are skipped (and logged). DeleteOptions has no `metadata`.
 *
 * @throws StatusError 400 BadRequest for bytes the apiserver could not decode; 415
 *   UnsupportedMediaType for a kind this decoder has no schema for.
 */
export function decodeKubeProtobuf(body: Uint8Array, options: ProtobufDecodeOptions = {}): KubeObject {
  if (!hasMagic(body)) throw badRequest(`the provided data does not appear to be a protobuf message, expected prefix [${MAGIC.join(' ')}]`);
  const context: DecodeContext = { skipped: new Set() };
  const envelope = decodeOrThrow(() => readEnvelope(body, context));
  const apiVersion = envelope.apiVersion || options.defaults?.apiVersion || '';
  const kind = envelope.kind || options.defaults?.kind || '';
  if (!kind) throw badRequest("Object 'Kind' is missing in protobuf body");
  if (!apiVersion) throw badRequest("Object 'apiVersion' is missing in protobuf body");
  const typeName = messageFor(apiVersion, kind);
  if (!typeName) {
    options.log?.(`protobuf: no schema for ${apiVersion}/${kind}, answered 415`);
    throw unsupportedKind(apiVersion, kind);
  }
  const object = decodeOrThrow(() => messageJson(schema().lookupType(typeName), [envelope.raw], context)) as Record<string, unknown>;
  if (context.skipped.size > 0) options.log?.(`protobuf: ${apiVersion}/${kind} body had fields the sim does not decode, skipped: ${[...context.skipped].sort().join(', ')}`);
  return { kind, apiVersion, ...object } as KubeObject;
}
