import { createListStreamMasker, createMasker, maskAllChunks, maskChunks, toTransform, MaskError } from '../../../src/mask/index.js';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SECRETS, b64, findLeaks, maskingConfig, mixedList, partialObjectMetadataList, randomChunks, rng, secretList, secretTable } from './fixtures.js';

const masker = createMasker(maskingConfig());

function reference(body: unknown): { text: string; count: number } {
  const { value, count } = masker.maskObject(body);
  return { text: JSON.stringify(value), count };
}

function streamed(chunks: Uint8Array[], opts = {}): { text: string; count: number } {
  const stream = createListStreamMasker(masker, opts);
  const out = maskAllChunks(chunks, stream);
  return { text: out.toString('utf8'), count: stream.maskedCount };
}

/** Pretty-printed, with escapes and multi-byte characters, so chunk splits land everywhere. */
function awkwardList(): unknown {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- fixture surgery on plain JSON
  const list = secretList() as { items: Record<string, any>[] };
  list.items[0]!.metadata.labels = { note: 'quote " backslash \\ slash / ünïcødé 🔑 \u2028 end\\' };
  list.items[0]!.metadata.annotations = { 'x/y': 'a\\"b', emoji: '🗝️'.repeat(5) };
  return { kind: 'SecretList', apiVersion: 'v1', metadata: list.items.length ? { resourceVersion: '1', remainingItemCount: 0 } : {}, items: list.items };
}

const bodies: Record<string, unknown> = {
  secretList: secretList(),
  awkward: awkwardList(),
  table: secretTable('Object'),
  tableMetadata: secretTable('Metadata'),
  mixed: mixedList(),
  partial: partialObjectMetadataList(),
  empty: { kind: 'SecretList', apiVersion: 'v1', metadata: { resourceVersion: '9' }, items: [] },
  single: { kind: 'Secret', apiVersion: 'v1', metadata: { name: 'one' }, data: { a: b64(SECRETS.dbPassword) }, type: 'Opaque' },
};

describe('streaming list masker', () => {
  it.each(Object.keys(bodies))('equals the non-streaming masker for %s across many random chunkings', (name) => {
    const body = bodies[name];
    const expected = reference(body);
    for (const text of [JSON.stringify(body), JSON.stringify(body, null, 2)]) {
      const bytes = Buffer.from(text, 'utf8');
      for (let seed = 1; seed <= 60; seed++) {
        const got = streamed(randomChunks(bytes, rng(seed), 1 + (seed % 7) * 40));
        expect(got.text).toBe(expected.text);
        expect(got.count).toBe(expected.count);
      }
    }
    expect(findLeaks(expected.text)).toEqual([]);
  });

  it.each(Object.keys(bodies))('is unaffected by the caller reusing its chunk buffer after write, for %s', (name) => {
    const body = bodies[name];
    const expected = reference(body);
    const bytes = Buffer.from(JSON.stringify(body, null, 1));
    for (let seed = 1; seed <= 20; seed++) {
      const stream = createListStreamMasker(masker);
      const parts: Buffer[] = [];
      for (const piece of randomChunks(bytes, rng(seed), 97)) {
        const reused = Buffer.from(piece);
        parts.push(Buffer.from(stream.write(reused)));
        reused.fill(0x20);
      }
      parts.push(Buffer.from(stream.end()));
      expect(Buffer.concat(parts).toString()).toBe(expected.text);
      expect(stream.maskedCount).toBe(expected.count);
    }
  });

  it('equals the non-streaming masker when fed one byte at a time', () => {
    const body = awkwardList();
    const bytes = Buffer.from(JSON.stringify(body, null, 1));
    const chunks = Array.from(bytes, (_, i) => bytes.subarray(i, i + 1));
    expect(streamed(chunks)).toEqual(reference(body));
  });

  it('masks Secret items even when kind arrives after items', () => {
    const list = secretList() as Record<string, unknown>;
    const reordered = { items: list.items, metadata: list.metadata, apiVersion: 'v1', kind: 'SecretList' };
    const bytes = Buffer.from(JSON.stringify(reordered));
    const got = streamed(randomChunks(bytes, rng(7)));
    expect(findLeaks(got.text)).toEqual([]);
    const parsed = JSON.parse(got.text);
    expect(parsed.kind).toBe('SecretList');
    expect(Object.keys(parsed)).toEqual(['items', 'metadata', 'apiVersion', 'kind']);
    expect(got.count).toBe(reference(list).count);
  });

  it('works as a Transform and as an async iterable', async () => {
    const bytes = Buffer.from(JSON.stringify(secretList()));
    const parts: Buffer[] = [];
    await pipeline(Readable.from(randomChunks(bytes, rng(3), 100)), toTransform(createListStreamMasker(masker)), async (source: AsyncIterable<Buffer>) => {
      for await (const chunk of source) parts.push(chunk);
    });
    expect(Buffer.concat(parts).toString()).toBe(reference(secretList()).text);
    const viaIterable: Uint8Array[] = [];
    for await (const chunk of maskChunks(randomChunks(bytes, rng(4), 100), createListStreamMasker(masker))) viaIterable.push(chunk);
    expect(Buffer.concat(viaIterable).toString()).toBe(reference(secretList()).text);
  });

  it.each([
    ['empty body', ''],
    ['truncated list', '{"kind":"SecretList","items":[{"data":{"a":"eA=="}}'],
    ['truncated item string', '{"kind":"SecretList","items":[{"data":{"a":"eA='],
    ['garbage item', '{"kind":"SecretList","items":[{"data":nope}]}'],
    ['missing comma', '{"kind":"SecretList" "items":[]}'],
    ['trailing comma in items', '{"kind":"SecretList","items":[{},]}'],
    ['trailing data', '{"kind":"SecretList","items":[]} {}'],
    ['unquoted key', '{kind:"SecretList"}'],
    ['duplicate kind', '{"kind":"ConfigMapList","items":[],"kind":"SecretList"}'],
    ['duplicate items', '{"kind":"SecretList","items":[],"items":[]}'],
    ['not JSON at all', '<html>bad gateway</html>'],
    ['bad envelope value', '{"kind":"SecretList","metadata":{"a":},"items":[]}'],
  ])('refuses %s with a typed error', (_name, text) => {
    const stream = createListStreamMasker(masker);
    const run = () => maskAllChunks(randomChunks(Buffer.from(text), rng(text.length), 5), stream);
    expect(run).toThrow(MaskError);
    expect(() => stream.write(Buffer.from('{}'))).toThrow(expect.objectContaining({ code: 'MASK_CLOSED' }));
  });

  it('refuses any duplicated top-level member: the copy a client drops would go out masked out of context', () => {
    // Found by test/unit/fuzz/bodies.test.ts: the first `apiVersion` was masked as part of an
    // envelope (no ConfigMap rule applies there) and passed on next to the second.
    const configMap = { kind: 'ConfigMap', metadata: { name: 'c' }, data: { 'db.password': SECRETS.configPassword } };
    for (const text of [
      `{"apiVersion":[${JSON.stringify(configMap)}],"items":[],"apiVersion":"v1","kind":"List"}`,
      `{"kind":"List","metadata":${JSON.stringify(configMap)},"metadata":{},"items":[]}`,
      `{"kind":"Table","rows":[],"columnDefinitions":{"x":${JSON.stringify(configMap)}},"columnDefinitions":[]}`,
    ]) {
      expect(() => maskAllChunks(randomChunks(Buffer.from(text), rng(text.length), 7), createListStreamMasker(masker))).toThrow(expect.objectContaining({ code: 'MASK_MALFORMED' }));
    }
  });

  it('refuses a single item above the size cap, with bounded memory', () => {
    const big = { kind: 'SecretList', apiVersion: 'v1', items: [{ data: { a: b64('x'.repeat(10_000)) }, type: 'Opaque' }] };
    const bytes = Buffer.from(JSON.stringify(big));
    expect(() => streamed(randomChunks(bytes, rng(1), 512), { maxItemBytes: 4096 })).toThrow(expect.objectContaining({ code: 'MASK_TOO_LARGE' }));
  });

  it('emits items as they complete instead of buffering the list', () => {
    const stream = createListStreamMasker(masker);
    const head = '{"kind":"SecretList","apiVersion":"v1","metadata":{},"items":[';
    const item = JSON.stringify({ metadata: { name: 'a' }, data: { k: b64(SECRETS.apiToken) }, type: 'Opaque' });
    const first = Buffer.from(stream.write(Buffer.from(head + item + ',' + item.slice(0, 10)))).toString();
    const maskedItem = JSON.stringify((masker.maskObject(JSON.parse(item), { listKind: 'SecretList' }).value));
    expect(first).toBe(head + maskedItem);
    expect(findLeaks(first)).toEqual([]);
  });
});

describe('streaming list masker: values split anywhere', () => {
  /** Items whose strings end in backslashes, escaped quotes and \u escapes that spell secrets once decoded. */
  const tricky = {
    kind: 'List',
    apiVersion: 'v1',
    metadata: {},
    items: [
      { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'a\\"b\\\\' }, data: { note: `\\u0041${SECRETS.awsKeyId.slice(1)}`, path: 'C:\\dir\\', q: '"' } },
      { kind: 'Secret', apiVersion: 'v1', metadata: { name: 's', labels: { k: 'ü🔑' } }, data: { password: b64(SECRETS.dbPassword) }, type: 'Opaque' },
    ],
  };
  const text = JSON.stringify(tricky).replace('\\\\u0041', '\\u0041');
  const bytes = Buffer.from(text);
  const expected = reference(JSON.parse(text));

  it('decodes the escapes before masking (the fixture really hides a key behind \\u0041)', () => {
    expect(text).toContain('\\u0041KIA');
    expect(text).not.toContain(SECRETS.awsKeyId);
    expect(expected.text).not.toContain(SECRETS.awsKeyId);
    // The key, the password, and the Secret's label value, which is no valid label value.
    expect(expected.count).toBe(3);
  });

  it('equals the non-streaming masker for every split into two chunks, as Buffers or plain Uint8Array views', () => {
    const backing = new Uint8Array(bytes.length + 16);
    backing.set(bytes, 8);
    const view = backing.subarray(8, 8 + bytes.length);
    for (let at = 1; at < bytes.length; at++) {
      expect(streamed([bytes.subarray(0, at), bytes.subarray(at)])).toEqual(expected);
      expect(streamed([view.subarray(0, at), view.subarray(at)])).toEqual(expected);
    }
  });

  it('equals the non-streaming masker for every three-chunk split around the escapes', () => {
    const hard = [...text.matchAll(/\\/g)].map((m) => Buffer.byteLength(text.slice(0, m.index)));
    for (const a of hard) {
      for (let b = a + 1; b <= Math.min(a + 8, bytes.length - 1); b++) {
        expect(streamed([bytes.subarray(0, a), bytes.subarray(a, b), bytes.subarray(b)])).toEqual(expected);
      }
    }
  });

  it('masks a secret inside a very long string that spans many chunks', () => {
    const long = `${'x'.repeat(300_000)} password=${SECRETS.dbPassword} ${'y'.repeat(300_000)}`;
    const list = { kind: 'ConfigMapList', apiVersion: 'v1', metadata: {}, items: [{ metadata: { name: 'c' }, data: { log: long } }] };
    const want = reference(list);
    expect(want.count).toBe(1);
    const got = streamed(randomChunks(Buffer.from(JSON.stringify(list)), rng(5), 65_536));
    expect(got).toEqual(want);
    expect(got.text).not.toContain(SECRETS.dbPassword);
  });
});
