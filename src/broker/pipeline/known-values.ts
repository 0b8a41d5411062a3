/**
 * Stage 5a, for pod output streams (`pods/log`, `pods/exec`, `pods/attach`): the values of the
 * Secrets the pod uses, so the stream masker masks them exactly (src/mask/known-value-stream.ts) even
 * where no detector would. Read just before the stream is forwarded, with the gate's own upstream
 * credential (the grant's token, held by the gateway or the broker); the values never leave the
 * gate, and only their masked form reaches the client, the recording and the audit trail.
 *
 * Fail closed: when the pod or one of its Secrets cannot be read, the stream is refused before it
 * starts, since its output could not be masked. A Secret the grant may not read refuses the stream
 * (403) rather than being read with a stronger credential: in broker mode the values would then
 * reach a machine the grant does not trust with them. A Secret that no longer exists has no value
 * to mask.
 */
import type { Dispatcher } from 'undici';
import { secretsUsedBy, secretValues, type SecretUse } from '../../kube/pod-secrets.js';
import type { RequestInfo } from '../../kube/request-info.js';
import { badGateway, statusResponse, type StatusResponse } from '../../kube/status.js';
import { compileKnownValues, type KnownValueSet } from '../../mask/known-value-stream.js';
import type { Forwarder } from './forward.js';

/** The values to mask in one stream, or why the stream is refused. */
export type KnownValuesLookup =
  | { ok: true; known?: KnownValueSet; secrets: number }
  | { ok: false; refusal: StatusResponse; reason: string };

/** Reads what a pod's output streams must mask. */
export interface KnownValuesSource {
  /** The lookup for `info`; requests other than pod output streams need none. */
  forRequest(info: RequestInfo, auditId: string, signal: AbortSignal): Promise<KnownValuesLookup>;
}

/** Pods are at most 1.5 MiB in etcd, Secrets 1 MiB; anything larger is not what it claims. */
const MAX_OBJECT_BYTES = 4 * 1024 * 1024;

const STREAM_SUBRESOURCES = new Set(['log', 'exec', 'attach']);

/** Whether `info` opens a stream of a pod's output. */
export function isPodOutputStream(info: RequestInfo): boolean {
  return info.isResourceRequest && info.apiGroup === '' && info.resource === 'pods' && STREAM_SUBRESOURCES.has(info.subresource) && info.namespace !== '' && info.name !== '';
}

type Read = { ok: true; object: unknown } | { ok: false; status: number; reason: string };

async function readJson(body: Dispatcher.ResponseData['body']): Promise<unknown> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_OBJECT_BYTES) {
      body.destroy();
      throw new Error(`larger than ${MAX_OBJECT_BYTES} bytes`);
    }
    parts.push(chunk);
  }
  return JSON.parse(Buffer.concat(parts).toString('utf8')) as unknown;
}

/** The stream's refusals; none quotes a value, a token or an upstream body. */
function refusals(info: RequestInfo) {
  const pod = `pod "${info.name}" in namespace "${info.namespace}"`;
  const why = 'kgate masks the values of the Secrets a pod uses in its logs and exec output';
  return {
    podMissing: () => statusResponse(404, 'NotFound', `pods "${info.name}" not found`, { name: info.name, kind: 'pods' }),
    podForbidden: () => statusResponse(403, 'Forbidden', `pods "${info.name}" is forbidden: ${why}, so it must read the ${pod}, which this grant may not get`, { name: info.name, kind: 'pods' }),
    secretForbidden: (secret: string) =>
      statusResponse(403, 'Forbidden', `pods "${info.name}" is forbidden: ${why}, and this grant may not read Secret "${secret}" that the ${pod} uses, so its output cannot be masked and is not shown; ask for a grant that can read that Secret`, { name: info.name, kind: 'pods' }),
    unreadable: (what: string) => badGateway(`${why}, and kgate could not read ${what} of the ${pod}, so its output is not shown; try again`),
    tooLarge: () => badGateway(`${why}, and the Secrets of the ${pod} hold more than kgate can mask in a stream, so its output is not shown`),
  };
}

/**
 * The source for one pipeline, reading through its forwarder (same pool, same token, same 401
 * retry). With `enabled` false (Secret masking off, or an exempt caller) nothing is read.
 */
export function createKnownValuesSource(forwarder: Forwarder, enabled: boolean): KnownValuesSource {
  async function get(url: string, auditId: string, signal: AbortSignal): Promise<Read> {
    const result = await forwarder.forward({
      method: 'GET',
      url,
      headers: (token) => ({ authorization: `Bearer ${token}`, accept: 'application/json', 'audit-id': auditId, 'user-agent': 'kgate (known-value masking)' }),
    }, signal);
    if (!result.ok) return { ok: false, status: 0, reason: result.reason };
    const { response } = result;
    if (response.statusCode !== 200) {
      await response.body.dump();
      return { ok: false, status: response.statusCode, reason: `HTTP ${response.statusCode}` };
    }
    try {
      return { ok: true, object: await readJson(response.body) };
    } catch (error) {
      return { ok: false, status: 0, reason: `unreadable body (${(error as Error).message.split('\n')[0]!.slice(0, 80)})` };
    }
  }

  return {
    async forRequest(info, auditId, signal) {
      if (!enabled || !isPodOutputStream(info)) return { ok: true, secrets: 0 };
      const refuse = refusals(info);
      const base = `/api/v1/namespaces/${encodeURIComponent(info.namespace)}`;
      const pod = await get(`${base}/pods/${encodeURIComponent(info.name)}`, auditId, signal);
      if (!pod.ok) {
        // The apiserver would answer the stream request itself the same way; kgate answers for it.
        if (pod.status === 404) return { ok: false, refusal: refuse.podMissing(), reason: 'the pod does not exist' };
        if (pod.status === 403) return { ok: false, refusal: refuse.podForbidden(), reason: 'the grant may not get the pod, so its Secrets cannot be masked' };
        return { ok: false, refusal: refuse.unreadable('the pod'), reason: `the pod could not be read (${pod.reason})` };
      }
      const uses = secretsUsedBy(pod.object);
      const reads = await Promise.all(uses.map(async (use) => ({ use, read: await get(`${base}/secrets/${encodeURIComponent(use.name)}`, auditId, signal) })));
      const values: Buffer[] = [];
      for (const { use, read } of reads) {
        if (read.ok) {
          values.push(...secretValues(read.object, use));
          continue;
        }
        if (read.status === 404) continue;
        if (read.status === 403) return { ok: false, refusal: refuse.secretForbidden(use.name), reason: `the grant may not read Secret ${use.name}, so the stream cannot be masked` };
        return { ok: false, refusal: refuse.unreadable(`Secret "${use.name}"`), reason: `Secret ${use.name} could not be read (${read.reason})` };
      }
      try {
        return { ok: true, secrets: countRead(reads), ...withKnown(compileKnownValues(values)) };
      } catch {
        return { ok: false, refusal: refuse.tooLarge(), reason: 'the pod\'s Secret values exceed the known-value masking limit' };
      }
    },
  };
}

function countRead(reads: Array<{ use: SecretUse; read: Read }>): number {
  return reads.filter((r) => r.read.ok).length;
}

function withKnown(known: KnownValueSet | undefined): { known?: KnownValueSet } {
  return known ? { known } : {};
}
