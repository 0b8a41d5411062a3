/**
 * Request body reading and decoding: the apiserver's size limit, then JSON, YAML or protobuf
 * objects, and the four PATCH media types.
 */
import type { IncomingMessage } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { StatusError, type KubeObject } from './types.js';

/** The apiserver's default MaxRequestBodyBytes (3 MiB). */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;

export const OBJECT_MEDIA_TYPES = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'] as const;
export const PATCH_MEDIA_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml'] as const;
export type PatchMediaType = (typeof PATCH_MEDIA_TYPES)[number];

/** Reads the whole body; 413 RequestEntityTooLarge past `limit`. */
export async function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooLarge(limit);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function tooLarge(limit: number): StatusError {
  return new StatusError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${limit}`);
}

/** The media type of the Content-Type header without parameters; empty means JSON, as in the apiserver. */
export function mediaTypeOf(req: IncomingMessage): string {
  const header = req.headers['content-type'];
  const essence = (header ?? '').split(';')[0]!.trim().toLowerCase();
  return essence || 'application/json';
}

function unsupported(accepted: readonly string[]): StatusError {
  return new StatusError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`);
}

function asObject(value: unknown, what: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new StatusError(400, 'BadRequest', `couldn't get version/kind; json parse error: ${what} is not an object`);
  }
  return value as Record<string, unknown>;
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw new StatusError(400, 'BadRequest', `couldn't get version/kind; json parse error: ${(e as Error).message}`);
  }
}

function parseYamlDocument(body: Buffer): unknown {
  try {
    return parseYaml(body.toString('utf8'));
  } catch (e) {
    throw new StatusError(400, 'BadRequest', `error converting YAML to JSON: ${(e as Error).message.split('\n')[0]}`);
  }
}

interface ProtobufModule {
  decodeKubeProtobuf(body: Uint8Array): KubeObject;
}

let protobufModule: Promise<ProtobufModule | undefined> | undefined;

/** protobuf.ts is written by another part of the sim; load it lazily and answer 415 while it is absent. */
function loadProtobuf(): Promise<ProtobufModule | undefined> {
  const specifier = './protobuf.js';
  protobufModule ??= (import(specifier) as Promise<ProtobufModule>).catch(() => undefined);
  return protobufModule;
}

/** Decodes an object body (create/update/review, DeleteOptions) by media type. */
export async function decodeObjectBody(body: Buffer, mediaType: string, log: (line: string) => void = () => {}): Promise<Record<string, unknown>> {
  if (body.length === 0) throw new StatusError(400, 'BadRequest', 'Object \'Kind\' is missing in \'\'');
  switch (mediaType) {
    case 'application/json':
      return asObject(parseJson(body), 'body');
    case 'application/yaml':
      return asObject(parseYamlDocument(body), 'body');
    case 'application/vnd.kubernetes.protobuf': {
      const module = await loadProtobuf();
      if (!module) {
        log('protobuf request body received but test/sim/kube/protobuf.ts is not available');
        throw unsupported(['application/json', 'application/yaml']);
      }
      return module.decodeKubeProtobuf(new Uint8Array(body));
    }
    default:
      throw unsupported(OBJECT_MEDIA_TYPES);
  }
}

/** Decodes a PATCH body: an object (merge/strategic/apply) or an operation list (JSON patch). */
export function decodePatchBody(body: Buffer, mediaType: string): { type: PatchMediaType; patch: unknown } {
  if (!(PATCH_MEDIA_TYPES as readonly string[]).includes(mediaType)) throw unsupported(PATCH_MEDIA_TYPES);
  const type = mediaType as PatchMediaType;
  if (type === 'application/apply-patch+yaml') return { type, patch: asObject(parseYamlDocument(body), 'apply configuration') };
  const patch = parseJson(body);
  if (type === 'application/json-patch+json') {
    if (!Array.isArray(patch)) throw new StatusError(400, 'BadRequest', 'json: cannot unmarshal object into Go value of type jsonpatch.Patch');
    return { type, patch };
  }
  return { type, patch: asObject(patch, 'patch') };
}
