import { createMasker, createWatchStreamMasker, maskAllChunks, MaskError } from '../../../src/mask/index.js';
import { SECRETS, b64, findLeaks, maskingConfig, randomChunks, rng, watchEvents, watchStream } from './fixtures.js';

const masker = createMasker(maskingConfig());

function expectedStream(): { text: string; count: number } {
  let count = 0;
  const text = watchEvents()
    .map((e) => {
      const masked = masker.maskObject(e);
      count += masked.count;
      return `${JSON.stringify(masked.value)}\n`;
    })
    .join('');
  return { text, count };
}

describe('watch stream masker', () => {
  it('masks ADDED/MODIFIED/DELETED/BOOKMARK/ERROR events line by line for any chunking', () => {
    const bytes = Buffer.from(watchStream());
    const expected = expectedStream();
    expect(findLeaks(expected.text)).toEqual([]);
    for (let seed = 1; seed <= 100; seed++) {
      const stream = createWatchStreamMasker(masker);
      const out = maskAllChunks(randomChunks(bytes, rng(seed), 1 + (seed % 10) * 30), stream).toString();
      expect(out).toBe(expected.text);
      expect(stream.maskedCount).toBe(expected.count);
    }
  });

  it('releases each event as soon as its newline arrives', () => {
    const [first, second] = watchStream().split('\n');
    const stream = createWatchStreamMasker(masker);
    const out = Buffer.from(stream.write(Buffer.from(`${first}\n${second!.slice(0, 20)}`))).toString();
    expect(out.endsWith('\n')).toBe(true);
    expect(out.split('\n')).toHaveLength(2);
    expect(findLeaks(out)).toEqual([]);
  });

  it('masks events that lie whole inside one chunk even when the caller reuses its buffer', () => {
    const bytes = Buffer.from(watchStream());
    const expected = expectedStream();
    for (let seed = 1; seed <= 30; seed++) {
      const stream = createWatchStreamMasker(masker);
      const parts: Buffer[] = [];
      for (const piece of randomChunks(bytes, rng(seed), 4096)) {
        const reused = Buffer.from(piece);
        parts.push(Buffer.from(stream.write(reused)));
        reused.fill(0x41);
      }
      parts.push(Buffer.from(stream.end()));
      expect(Buffer.concat(parts).toString()).toBe(expected.text);
      expect(stream.maskedCount).toBe(expected.count);
    }
  });

  it('decodes multi-byte characters inside one chunk and split across chunks alike', () => {
    const event = { type: 'ADDED', object: { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'ü' }, data: { note: 'größe ✓ password=Sup3r-Secr3t' } } };
    const line = Buffer.from(`${JSON.stringify(event)}\n`);
    const expected = `${JSON.stringify(masker.maskObject(event).value)}\n`;
    expect(expected).not.toContain('Sup3r-Secr3t');
    const split = line.indexOf(Buffer.from('ö')) + 1;
    for (const chunks of [[line], [line.subarray(0, split), line.subarray(split)]]) {
      expect(maskAllChunks(chunks, createWatchStreamMasker(masker)).toString()).toBe(expected);
    }
  });

  it('refuses a garbage line, a truncated final event and an oversized event', () => {
    const garbage = createWatchStreamMasker(masker);
    expect(() => garbage.write(Buffer.from('{"type":"ADDED","object":{}}\nnot json\n'))).toThrow(MaskError);
    const truncated = createWatchStreamMasker(masker);
    truncated.write(Buffer.from('{"type":"ADDED","object":{"kind":"Secret","data":{"a":"eA=='));
    expect(() => truncated.end()).toThrow(expect.objectContaining({ code: 'MASK_MALFORMED' }));
    const big = createWatchStreamMasker(masker, { maxEventBytes: 1024 });
    expect(() => big.write(Buffer.from(`{"type":"ADDED","object":{"data":{"a":"${'A'.repeat(2000)}"}}}`))).toThrow(expect.objectContaining({ code: 'MASK_TOO_LARGE' }));
    const scalar = createWatchStreamMasker(masker);
    expect(() => scalar.write(Buffer.from('"ADDED"\n'))).toThrow(expect.objectContaining({ code: 'MASK_MALFORMED' }));
  });

  it('masks events split at every byte, from Buffers or plain Uint8Array views, with escapes decoded first', () => {
    const events = [
      `{"type":"ADDED","object":{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"a\\"b"},"data":{"note":"\\u0041${SECRETS.awsKeyId.slice(1)}","k":"ü🔑\\\\"}}}`,
      `{"type":"MODIFIED","object":{"kind":"Secret","apiVersion":"v1","metadata":{"name":"s"},"data":{"password":"${b64(SECRETS.dbPassword)}"},"type":"Opaque"}}`,
    ];
    const text = `${events.join('\n')}\n`;
    expect(text).toContain('\\u0041KIA');
    const expected = events.map((e) => `${JSON.stringify(masker.maskObject(JSON.parse(e)).value)}\n`).join('');
    expect(expected).not.toContain(SECRETS.awsKeyId);
    expect(findLeaks(expected)).toEqual([]);
    const bytes = Buffer.from(text);
    const backing = new Uint8Array(bytes.length + 16);
    backing.set(bytes, 8);
    const view = backing.subarray(8, 8 + bytes.length);
    for (let at = 1; at < bytes.length; at++) {
      for (const source of [bytes, view]) {
        const stream = createWatchStreamMasker(masker);
        expect(Buffer.from(maskAllChunks([source.subarray(0, at), source.subarray(at)], stream)).toString()).toBe(expected);
        expect(stream.maskedCount).toBe(2);
      }
    }
  });
});

