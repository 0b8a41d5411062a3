import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';
import { decodeKubeProtobuf } from '../../../sim/kube/protobuf.js';
import { StatusError, type KubeObject } from '../../../sim/kube/types.js';
import { findKubectls, type KubectlBinary } from '../../../support/kubectl.js';
import { CAPTURE_CASES, captureKubectl, type BodyFixtures } from './fixtures/capture.js';

const fixtures = JSON.parse(readFileSync(new URL('./fixtures/protobuf-bodies.json', import.meta.url), 'utf8')) as BodyFixtures;
const MAGIC = Buffer.from('k8s\0', 'latin1');

/** kubectl debug node/… names its pod `node-debugger-<node>-<random>`, so only that name may differ. */
function sameRandomName(decoded: KubeObject, expected: unknown): KubeObject {
  const name = (expected as KubeObject).metadata.name;
  const random = (decoded.metadata.name as string | undefined)?.startsWith('node-debugger-');
  return random ? { ...decoded, metadata: { ...decoded.metadata, name } } : decoded;
}

type Fields = (w: protobuf.Writer) => void;

/** A protobuf body: magic + runtime.Unknown{typeMeta{apiVersion, kind}, raw}. */
function body(apiVersion: string, kind: string, raw: Fields | Uint8Array = () => {}): Buffer {
  const w = protobuf.Writer.create();
  w.uint32((1 << 3) | 2).fork().uint32((1 << 3) | 2).string(apiVersion).uint32((2 << 3) | 2).string(kind).ldelim();
  if (raw instanceof Uint8Array) w.uint32((2 << 3) | 2).bytes(raw);
  else {
    w.uint32((2 << 3) | 2).fork();
    raw(w);
    w.ldelim();
  }
  return Buffer.concat([MAGIC, w.finish()]);
}

const tag = (w: protobuf.Writer, id: number, wireType: number): protobuf.Writer => w.uint32((id << 3) | wireType);
const str = (w: protobuf.Writer, id: number, value: string): void => void tag(w, id, 2).string(value);
const msg = (w: protobuf.Writer, id: number, fields: Fields): void => {
  tag(w, id, 2).fork();
  fields(w);
  w.ldelim();
};
const entry = (w: protobuf.Writer, id: number, key: string, value: Fields): void => msg(w, id, (e) => {
  str(e, 1, key);
  value(e);
});

function decodeError(input: Uint8Array): StatusError {
  try {
    decodeKubeProtobuf(input);
  } catch (error) {
    if (error instanceof StatusError) return error;
    throw error;
  }
  throw new Error('decoded without error');
}

describe('decodeKubeProtobuf on bodies captured from real kubectl', () => {
  it('holds one protobuf body per command, captured from kubectl ≥1.32', () => {
    expect(Number(fixtures.protobufClient.split('.')[1])).toBeGreaterThanOrEqual(32);
    expect(fixtures.cases.map((c) => c.id)).toEqual(CAPTURE_CASES.map((c) => c.id));
    for (const c of fixtures.cases) expect(c.contentType).toBe('application/vnd.kubernetes.protobuf');
  });

  it.each(fixtures.cases.map((c) => [c.id, c] as const))('%s decodes to exactly the JSON kubectl 1.30/1.31 sends', (_id, c) => {
    const decoded = sameRandomName(decodeKubeProtobuf(Buffer.from(c.protobuf, 'base64')), c.json);
    // Same keys in the same (Go struct) order, same values: the bodies are byte-identical as JSON.
    expect(JSON.stringify(decoded)).toBe(JSON.stringify(c.json));
  });

  it('keeps what policy decisions read: secret bytes, review attributes, pod containers', () => {
    const byId = new Map(fixtures.cases.map((c) => [c.id, decodeKubeProtobuf(Buffer.from(c.protobuf, 'base64'))]));
    expect(Buffer.from((byId.get('secret-generic')!.data as Record<string, string>).password!, 'base64').toString()).toBe('s3cr3t');
    expect(byId.get('can-i-resource')!.spec).toEqual({ resourceAttributes: { namespace: 'default', verb: 'get', resource: 'pods' } });
    expect(byId.get('can-i-non-resource')!.spec).toEqual({ nonResourceAttributes: { path: '/logs', verb: 'get' } });
    const pod = byId.get('pod-debug-copy')! as KubeObject & { spec: { containers: { name: string; command?: string[]; env?: { name: string }[] }[] } };
    expect(pod.spec.containers.map((c) => c.name)).toEqual(['app', 'debugger']);
    expect(pod.spec.containers[1]!.command).toEqual(['sleep', '3600']);
    expect(pod.spec.containers[0]!.env!.map((e) => e.name)).toEqual(['PLAIN', 'EMPTY', 'PASSWORD', 'POD_IP', 'MEM']);
  });
});

describe('decodeKubeProtobuf against live kubectl', () => {
  let protobufClient: KubectlBinary | undefined;
  let jsonClient: KubectlBinary | undefined;

  beforeAll(async () => {
    const binaries = await findKubectls().catch(() => []);
    protobufClient = binaries.find((b) => Number(b.minor.split('.')[1]) >= 32);
    jsonClient = binaries.find((b) => Number(b.minor.split('.')[1]) <= 31);
  });

  it('re-captures the fixtures: same bytes from the same kubectl, and decoded they match what an older kubectl sends as JSON', async () => {
    if (!protobufClient) {
      console.warn('no kubectl ≥1.32 found: the committed fixtures are not re-checked');
      return;
    }
    const [live, liveJson] = await Promise.all([captureKubectl(protobufClient), jsonClient ? captureKubectl(jsonClient) : undefined]);
    for (const c of fixtures.cases) {
      const [request] = live[c.id]!.requests;
      expect({ id: c.id, contentType: request?.contentType }).toEqual({ id: c.id, contentType: 'application/vnd.kubernetes.protobuf' });
      const decoded = decodeKubeProtobuf(request!.body);
      if (protobufClient.minor === fixtures.protobufClient && c.id !== 'pod-debug-node') expect(request!.body.toString('base64')).toBe(c.protobuf);
      const [jsonRequest] = liveJson?.[c.id]?.requests ?? [];
      if (jsonRequest) {
        expect(jsonRequest.contentType).toBe('application/json');
        expect(sameRandomName(decoded, JSON.parse(jsonRequest.body.toString()))).toEqual(JSON.parse(jsonRequest.body.toString()));
      }
    }
  }, 60_000);
});

describe('decodeKubeProtobuf field semantics', () => {
  it('prints metav1.Time as RFC 3339 in whole seconds, and the zero or empty Time as null', () => {
    const withTimes = body('v1', 'Namespace', (w) => msg(w, 1, (m) => {
      str(m, 1, 'ns');
      msg(m, 8, (t) => void tag(t, 1, 0).int64(1735689600).uint32((2 << 3) | 0).int32(999_000_000));
      msg(m, 9, () => {});
    }));
    expect(decodeKubeProtobuf(withTimes).metadata).toEqual({ name: 'ns', creationTimestamp: '2025-01-01T00:00:00Z', deletionTimestamp: null });
    const goZero = body('v1', 'Namespace', (w) => msg(w, 1, (m) => msg(m, 8, (t) => void tag(t, 1, 0).int64(-62135596800))));
    expect(decodeKubeProtobuf(goZero).metadata).toEqual({ creationTimestamp: null });
  });

  it('keeps Go pointers set to a zero value and drops omitempty zero values', () => {
    const secret = body('v1', 'Secret', (w) => {
      msg(w, 1, (m) => str(m, 1, 's'));
      tag(w, 5, 0).bool(false);
      entry(w, 2, 'empty', (e) => void tag(e, 2, 2).bytes(new Uint8Array()));
      str(w, 3, '');
    });
    expect(decodeKubeProtobuf(secret)).toEqual({ kind: 'Secret', apiVersion: 'v1', metadata: { name: 's', creationTimestamp: null }, immutable: false, data: { empty: '' } });
  });

  it('decodes IntOrString, Quantity, packed repeated int64 and merges repeated occurrences of a message', () => {
    const pod = body('v1', 'Pod', (w) => msg(w, 2, (spec) => {
      msg(spec, 2, (c) => {
        str(c, 1, 'app');
        msg(c, 8, (r) => entry(r, 1, 'cpu', (e) => msg(e, 2, (q) => str(q, 1, '500m'))));
        msg(c, 10, (probe) => msg(probe, 1, (h) => msg(h, 3, (tcp) => msg(tcp, 1, (port) => {
          tag(port, 1, 0).int64(1);
          str(port, 3, 'http');
        }))));
      });
      msg(spec, 14, (sc) => tag(sc, 4, 2).fork().int64(3000).int64(4000).ldelim());
      str(spec, 10, 'first');
      msg(spec, 14, (sc) => tag(sc, 5, 0).int64(2000));
    }));
    const spec = decodeKubeProtobuf(pod).spec as Record<string, unknown>;
    expect(spec).toEqual({
      containers: [{ name: 'app', resources: { limits: { cpu: '500m' } }, livenessProbe: { tcpSocket: { port: 'http' } } }],
      nodeName: 'first',
      securityContext: { supplementalGroups: [3000, 4000], fsGroup: 2000 },
    });
  });

  it('embeds managedFields JSON verbatim and prints UserInfo.extra values as arrays', () => {
    const review = body('authentication.k8s.io/v1', 'SelfSubjectReview', (w) => {
      msg(w, 1, (m) => msg(m, 17, (mf) => {
        str(mf, 1, 'kubectl');
        msg(mf, 7, (f) => void tag(f, 1, 2).bytes(Buffer.from('{"f:data":{}}')));
      }));
      msg(w, 2, (s) => msg(s, 1, (u) => {
        str(u, 1, 'alice');
        entry(u, 4, 'scopes', (e) => msg(e, 2, (v) => {
          str(v, 1, 'a');
          str(v, 1, 'b');
        }));
      }));
    });
    const decoded = decodeKubeProtobuf(review);
    expect(decoded.metadata.managedFields).toEqual([{ manager: 'kubectl', fieldsV1: { 'f:data': {} } }]);
    expect(decoded.status).toEqual({ userInfo: { username: 'alice', extra: { scopes: ['a', 'b'] } } });
  });

  it('keeps a map key named __proto__ as data', () => {
    const ns = body('v1', 'Namespace', (w) => msg(w, 1, (m) => entry(m, 11, '__proto__', (e) => str(e, 2, 'x'))));
    const labels = decodeKubeProtobuf(ns).metadata.labels!;
    expect(Object.getPrototypeOf(labels)).toBe(Object.prototype);
    expect(JSON.stringify(labels)).toBe('{"__proto__":"x"}');
  });

  it('skips unknown fields, and logs their numbers', () => {
    const lines: string[] = [];
    const ns = body('v1', 'Namespace', (w) => {
      msg(w, 1, (m) => {
        str(m, 1, 'ns');
        str(m, 99, 'from-the-future');
      });
      tag(w, 7, 5).fixed32(1);
      tag(w, 8, 3).uint32((1 << 3) | 0).uint32(5).uint32((8 << 3) | 4);
    });
    expect(decodeKubeProtobuf(ns, { log: (l) => lines.push(l) }).metadata).toEqual({ name: 'ns', creationTimestamp: null });
    expect(lines).toEqual(['protobuf: v1/Namespace body had fields the sim does not decode, skipped: k8s.io.api.core.v1.Namespace#7, k8s.io.api.core.v1.Namespace#8, k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta#99']);
    expect(lines.join()).not.toContain('from-the-future');
  });

  it('decodes DeleteOptions in any group version, and fills an empty kind from the endpoint', () => {
    const options = body('rbac.authorization.k8s.io/v1', 'DeleteOptions', (w) => {
      tag(w, 1, 0).int64(0);
      str(w, 4, 'Foreground');
      str(w, 5, 'All');
    });
    expect(decodeKubeProtobuf(options)).toEqual({ kind: 'DeleteOptions', apiVersion: 'rbac.authorization.k8s.io/v1', gracePeriodSeconds: 0, propagationPolicy: 'Foreground', dryRun: ['All'] });
    const untyped = body('', '', (w) => msg(w, 1, (m) => str(m, 1, 'cm')));
    expect(decodeKubeProtobuf(untyped, { defaults: { apiVersion: 'v1', kind: 'ConfigMap' } })).toEqual({ kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'cm', creationTimestamp: null } });
  });
});

describe('decodeKubeProtobuf on malformed bodies', () => {
  const namespace = Buffer.from(fixtures.cases.find((c) => c.id === 'namespace')!.protobuf, 'base64');

  it.each([
    ['a JSON body', Buffer.from('{"kind":"Namespace"}'), 'the provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]'],
    ['an empty body', Buffer.alloc(0), 'the provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]'],
    ['only the magic', MAGIC, "Object 'Kind' is missing in protobuf body"],
    ['a body cut inside the object', namespace.subarray(0, namespace.length - 3), 'unexpected EOF'],
    ['a string sent as a varint', body('v1', 'Namespace', (w) => msg(w, 1, (m) => void tag(m, 1, 0).uint32(7))), 'proto: wrong wireType = 0 for field name'],
    ['field number 0', body('v1', 'Namespace', (w) => void tag(w, 0, 0).uint32(1)), 'proto: Namespace: illegal tag 0 (wire type 0)'],
    ['an unknown field with wire type 6', body('v1', 'Namespace', (w) => void tag(w, 5, 6)), 'proto: illegal wireType 6'],
    ['an end-group tag', body('v1', 'Namespace', (w) => void tag(w, 3, 4)), 'proto: Namespace: wiretype end group for non-group'],
    ['an invalid quantity', body('v1', 'Pod', (w) => msg(w, 2, (s) => msg(s, 2, (c) => msg(c, 8, (r) => entry(r, 1, 'cpu', (e) => msg(e, 2, (q) => str(q, 1, 'lots'))))))), "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"],
    ['an impossible IntOrString type', body('v1', 'Pod', (w) => msg(w, 2, (s) => msg(s, 2, (c) => msg(c, 10, (p) => msg(p, 1, (h) => msg(h, 3, (t) => msg(t, 1, (port) => void tag(port, 1, 0).int64(7)))))))), 'impossible IntOrString.Type'],
    ['managed fields that are not JSON', body('v1', 'Namespace', (w) => msg(w, 1, (m) => msg(m, 17, (mf) => msg(mf, 7, (f) => void tag(f, 1, 2).bytes(Buffer.from('{')))))), 'json: error calling MarshalJSON for type *v1.FieldsV1: invalid JSON'],
    ['an overlong varint', body('v1', 'DeleteOptions', Buffer.from([0x08, ...Array<number>(11).fill(0xff), 0x01])), 'proto: integer overflow'],
  ])('answers 400 BadRequest to %s', (_what, input, message) => {
    const error = decodeError(input);
    expect({ code: error.code, reason: error.reason, message: error.message }).toEqual({ code: 400, reason: 'BadRequest', message });
  });

  it('answers 415 UnsupportedMediaType to a kind it has no schema for, and logs it', () => {
    const lines: string[] = [];
    let error: unknown;
    try {
      decodeKubeProtobuf(body('apps/v1', 'Deployment', (w) => msg(w, 1, (m) => str(m, 1, 'web'))), { log: (l) => lines.push(l) });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StatusError);
    expect((error as StatusError).toStatus()).toMatchObject({ kind: 'Status', status: 'Failure', code: 415, reason: 'UnsupportedMediaType' });
    expect((error as StatusError).message).toContain('not for apps/v1/Deployment');
    expect(lines).toEqual(['protobuf: no schema for apps/v1/Deployment, answered 415']);
  });

  it('never throws anything but a 400 or 415 StatusError on thousands of mutated bodies', () => {
    let seed = 0x2545f491;
    const random = (n: number): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const bodies = fixtures.cases.map((c) => Buffer.from(c.protobuf, 'base64'));
    const outcomes = { decoded: 0, rejected: 0 };
    for (let i = 0; i < 4000; i++) {
      const input = Buffer.from(bodies[random(bodies.length)]!);
      const start = i % 4 === 0 ? 0 : MAGIC.length;
      const mutations = 1 + random(4);
      let mutated: Buffer = input;
      for (let m = 0; m < mutations; m++) {
        const at = start + random(Math.max(1, mutated.length - start));
        const kind = random(4);
        if (kind === 0) mutated[at] = random(256);
        else if (kind === 1) mutated = mutated.subarray(0, at);
        else if (kind === 2) mutated = Buffer.concat([mutated.subarray(0, at), Buffer.from([random(256)]), mutated.subarray(at)]);
        else mutated[at] = (mutated[at] ?? 0) ^ (1 << random(8));
      }
      try {
        const decoded = decodeKubeProtobuf(mutated);
        expect(typeof JSON.stringify(decoded)).toBe('string');
        outcomes.decoded++;
      } catch (error) {
        if (!(error instanceof StatusError) || ![400, 415].includes(error.code)) throw error;
        expect(error.message).not.toMatch(/\n\s+at /);
        outcomes.rejected++;
      }
    }
    // Both outcomes must be common, or the mutations are not exercising the decoder.
    expect(outcomes.decoded).toBeGreaterThan(100);
    expect(outcomes.rejected).toBeGreaterThan(1000);
  });

  it('rejects pure garbage after the magic', () => {
    let seed = 7;
    for (let i = 0; i < 500; i++) {
      const garbage = Buffer.alloc(1 + (i % 64), 0).map(() => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24);
      try {
        decodeKubeProtobuf(Buffer.concat([MAGIC, garbage]));
      } catch (error) {
        if (!(error instanceof StatusError) || ![400, 415].includes(error.code)) throw error;
      }
    }
  });
});
