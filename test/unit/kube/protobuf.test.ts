import { readFileSync } from 'node:fs';
import { decodeProtobufBody } from '../../../src/kube/protobuf.js';

interface FixtureCase {
  id: string;
  url: string;
  contentType: string;
  protobuf: string;
  json: Record<string, unknown>;
}

// Bodies captured from the real kubectl 1.32 (protobuf) and 1.31 (JSON) for the same commands.
const fixture = JSON.parse(readFileSync(new URL('../sim/kube/fixtures/protobuf-bodies.json', import.meta.url), 'utf8')) as { cases: FixtureCase[] };
const reviews = fixture.cases.filter((c) => /selfsubject(access|rules)reviews$/.test(c.url));
const others = fixture.cases.filter((c) => !/selfsubject(access|rules)reviews$/.test(c.url));

const bytes = (base64: string): Uint8Array => new Uint8Array(Buffer.from(base64, 'base64'));

// A minimal protobuf writer for crafted inputs.
function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return out;
}
const field = (number: number, payload: number[] | string): number[] => {
  const data = typeof payload === 'string' ? [...Buffer.from(payload, 'utf8')] : payload;
  return [...varint(number * 8 + 2), ...varint(data.length), ...data];
};
const boolField = (number: number, value: boolean): number[] => [...varint(number * 8), value ? 1 : 0];
function envelope(apiVersion: string, kind: string, raw: number[], extra: number[] = []): Uint8Array {
  return new Uint8Array([0x6b, 0x38, 0x73, 0x00, ...field(1, [...field(1, apiVersion), ...field(2, kind)]), ...field(2, raw), ...extra]);
}

describe('decodeProtobufBody with real kubectl 1.32 bodies', () => {
  test('the fixture holds the review cases', () => {
    expect(reviews.map((c) => c.id)).toEqual(['can-i-resource', 'can-i-subresource', 'can-i-non-resource', 'can-i-list']);
  });

  test.each(reviews.map((c) => [c.id, c] as const))('%s decodes to the JSON kubectl 1.31 sends', (_id, c) => {
    const result = decodeProtobufBody(bytes(c.protobuf));
    expect(result).toEqual({ ok: true, apiVersion: c.json.apiVersion, kind: c.json.kind, object: c.json });
    // Field order as Go's encoding/json writes it.
    if (result.ok) expect(JSON.stringify(result.object)).toBe(JSON.stringify(c.json));
  });

  test.each(others.map((c) => [c.id, c] as const))('%s is reported unsupported with its type', (_id, c) => {
    expect(decodeProtobufBody(bytes(c.protobuf))).toMatchObject({ ok: false, error: 'unsupported', apiVersion: c.json.apiVersion, kind: c.json.kind });
  });
});

describe('decodeProtobufBody on crafted bodies', () => {
  const ssar = (spec: number[], status: number[] = []) => envelope('authorization.k8s.io/v1', 'SelfSubjectAccessReview', [...field(2, spec), ...field(3, status)]);

  test('every resource attribute, selectors and status fields', () => {
    const requirement = [...field(1, 'app'), ...field(2, 'In'), ...field(3, 'a'), ...field(3, 'b')];
    const attributes = [
      ...field(1, 'ns'), ...field(2, 'list'), ...field(3, 'apps'), ...field(4, 'v1'), ...field(5, 'deployments'), ...field(6, 'scale'), ...field(7, 'web'),
      ...field(8, [...field(1, 'metadata.name=web')]), ...field(9, [...field(1, 'app in (a,b)'), ...field(2, requirement)]),
    ];
    const status = [...boolField(1, true), ...field(2, 'because'), ...boolField(4, false)];
    const result = decodeProtobufBody(ssar(field(1, attributes), status));
    expect(result).toEqual({
      ok: true, apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview',
      object: {
        kind: 'SelfSubjectAccessReview', apiVersion: 'authorization.k8s.io/v1', metadata: { creationTimestamp: null },
        spec: {
          resourceAttributes: {
            namespace: 'ns', verb: 'list', group: 'apps', version: 'v1', resource: 'deployments', subresource: 'scale', name: 'web',
            fieldSelector: { rawSelector: 'metadata.name=web' }, labelSelector: { rawSelector: 'app in (a,b)', requirements: [{ key: 'app', operator: 'In', values: ['a', 'b'] }] },
          },
        },
        status: { allowed: true, reason: 'because' },
      },
    });
  });

  test('a repeated embedded message merges and a repeated scalar takes the last value, as gogo-protobuf does', () => {
    const spec = [...field(1, [...field(1, 'first'), ...field(2, 'get')]), ...field(1, [...field(1, 'second'), ...field(5, 'secrets')])];
    const result = decodeProtobufBody(ssar(spec));
    expect(result.ok && result.object.spec).toEqual({ resourceAttributes: { namespace: 'second', verb: 'get', resource: 'secrets' } });
  });

  test('unknown fields are skipped', () => {
    const spec = [...field(1, [...field(2, 'get'), ...varint(99 * 8), 7, ...varint(98 * 8 + 5), 1, 2, 3, 4, ...varint(97 * 8 + 1), 1, 2, 3, 4, 5, 6, 7, 8, ...field(96, 'x')])];
    const result = decodeProtobufBody(ssar(spec));
    expect(result.ok && result.object.spec).toEqual({ resourceAttributes: { verb: 'get' } });
  });

  test('metadata fields and timestamps', () => {
    const meta = [...field(1, 'n'), ...field(11, [...field(1, 'k'), ...field(2, 'v')]), ...field(8, [...varint(8), ...varint(1700000000)])];
    const result = decodeProtobufBody(envelope('authorization.k8s.io/v1', 'SelfSubjectRulesReview', [...field(1, meta), ...field(2, field(1, 'default'))]));
    expect(result).toMatchObject({ ok: true, object: { metadata: { name: 'n', creationTimestamp: '2023-11-14T22:13:20Z', labels: { k: 'v' } }, spec: { namespace: 'default' }, status: { resourceRules: null, nonResourceRules: null, incomplete: false } } });
  });

  test.each([
    ['no magic', new Uint8Array([1, 2, 3, 4, 5])],
    ['empty', new Uint8Array(0)],
    ['truncated length', new Uint8Array([0x6b, 0x38, 0x73, 0x00, 0x12, 0x05, 0x01])],
    ['wrong wire type for a string', ssar(field(1, [...varint(2 * 8), 1]))],
    ['invalid UTF-8', ssar(field(1, field(2, [0xff, 0xfe])))],
    ['group wire type', ssar(field(1, [...varint(50 * 8 + 3)]))],
    ['field number zero', ssar(field(1, [0x02, 0x00]))],
    ['overlong varint', new Uint8Array([0x6b, 0x38, 0x73, 0x00, 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])],
    ['timestamp out of range', envelope('authorization.k8s.io/v1', 'SelfSubjectAccessReview', field(1, field(8, [...varint(8), ...varint(2 ** 50)])))],
  ])('%s is malformed', (_name, body) => {
    expect(decodeProtobufBody(body)).toMatchObject({ ok: false, error: 'malformed' });
  });

  test('a compressed inner body is unsupported', () => {
    expect(decodeProtobufBody(envelope('authorization.k8s.io/v1', 'SelfSubjectAccessReview', [], field(3, 'gzip')))).toMatchObject({ ok: false, error: 'unsupported' });
  });
});

describe('decodeProtobufBody never throws on garbage', () => {
  let seed = 42;
  const random = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 4294967296;
  };

  test('random bytes, with and without the magic', () => {
    for (let i = 0; i < 5000; i++) {
      const body = new Uint8Array(Math.floor(random() * 64)).map(() => Math.floor(random() * 256));
      if (random() < 0.5) body.set([0x6b, 0x38, 0x73, 0x00].slice(0, body.length));
      const result = decodeProtobufBody(body);
      expect(typeof result.ok).toBe('boolean');
    }
  });

  test('mutated real bodies: flips, truncations, insertions', () => {
    const originals = reviews.map((c) => bytes(c.protobuf));
    let decodedOk = 0;
    for (let i = 0; i < 8000; i++) {
      const original = originals[i % originals.length]!;
      let body = original.slice();
      const mutation = Math.floor(random() * 3);
      if (mutation === 0) {
        const at = 4 + Math.floor(random() * (body.length - 4));
        body[at] = body[at]! ^ (1 << Math.floor(random() * 8));
      }
      else if (mutation === 1) body = body.subarray(0, 4 + Math.floor(random() * (body.length - 4)));
      else {
        const at = 4 + Math.floor(random() * (body.length - 4));
        body = new Uint8Array([...body.subarray(0, at), Math.floor(random() * 256), ...body.subarray(at)]);
      }
      const result = decodeProtobufBody(body);
      if (result.ok) {
        decodedOk++;
        expect(() => JSON.stringify(result.object)).not.toThrow();
      } else expect(['malformed', 'unsupported']).toContain(result.error);
    }
    // Some mutations land in string contents and still decode; most break the structure.
    expect(decodedOk).toBeGreaterThan(50);
  });
});
