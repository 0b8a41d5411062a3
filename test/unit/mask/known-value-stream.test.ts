import {
  chainMaskers, compileDetectors, compileKnownValues, createKnownValueMasker, createTextStreamMasker, DETECTOR_NAMES, knownValueForms, maskAllChunks,
  maskKnownValues, MAX_KNOWN_VALUE_BYTES, MaskError, maskMarker, MIN_KNOWN_VALUE_BYTES,
} from '../../../src/mask/index.js';
import type { KnownValueSet } from '../../../src/mask/index.js';
import { randomChunks, rng } from './fixtures.js';

const MARKER = maskMarker('secret');
const PASSWORD = 'prod-S3cr3t-pa55word';

function compiled(values: Array<string | Uint8Array>): KnownValueSet {
  const known = compileKnownValues(values);
  if (!known) throw new Error('nothing compiled');
  return known;
}

/** The reference: every occurrence of every form found naively, covered bytes merged into markers. */
function reference(text: Buffer, values: Array<string | Uint8Array>): Buffer {
  const forms = values.flatMap((v) => knownValueForms(typeof v === 'string' ? Buffer.from(v) : v));
  const covered = new Uint8Array(text.length + 1);
  for (const form of forms) {
    for (let at = text.indexOf(form); at !== -1; at = text.indexOf(form, at + 1)) covered.fill(1, at, at + form.length);
  }
  const out: Buffer[] = [];
  let i = 0;
  while (i < text.length) {
    if (!covered[i]) {
      let j = i;
      while (j < text.length && !covered[j]) j++;
      out.push(text.subarray(i, j));
      i = j;
    } else {
      while (i < text.length && covered[i]) i++;
      out.push(Buffer.from(MARKER));
    }
  }
  return Buffer.concat(out);
}

function stream(known: KnownValueSet, chunks: Uint8Array[]): { out: Buffer; count: number } {
  const masker = createKnownValueMasker(known);
  const out = maskAllChunks(chunks, masker);
  return { out, count: masker.maskedCount };
}

/** Every base64 spelling of `value` a longer base64 text can contain: 3 alignments, 2 alphabets. */
function embeddedBase64(value: string): string[] {
  const out: string[] = [];
  for (const before of ['', 'x', 'xy']) {
    const encoded = Buffer.from(`${before}${value}tail-bytes`).toString('base64');
    out.push(encoded, encoded.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return out;
}

describe('known-value forms', () => {
  it('are the value, its base64 and its base64 cores at three alignments', () => {
    const forms = knownValueForms(Buffer.from(PASSWORD)).map((f) => f.toString('latin1'));
    expect(forms).toContain(PASSWORD);
    expect(forms).toContain(Buffer.from(PASSWORD).toString('base64'));
    expect(forms).toHaveLength(new Set(forms).size);
    // Each embedding's core is one of the forms, found inside the longer base64.
    for (const embedded of embeddedBase64(PASSWORD)) expect(forms.some((f) => f.length >= 20 && embedded.includes(f))).toBe(true);
  });

  it('add the terminal (CRLF) and JSON spellings of multi-line and quoted values', () => {
    const forms = knownValueForms(Buffer.from('line-one\nline "two"')).map((f) => f.toString('latin1'));
    expect(forms).toContain('line-one\r\nline "two"');
    expect(forms).toContain('line-one\\nline \\"two\\"');
  });

  it(`ignore values shorter than ${MIN_KNOWN_VALUE_BYTES} bytes`, () => {
    expect(knownValueForms(Buffer.from('abc'))).toEqual([]);
    expect(compileKnownValues(['', 'on', 'abc'])).toBeUndefined();
    expect(compileKnownValues([])).toBeUndefined();
    expect(maskKnownValues('abc abcd', compiled(['abc', 'abcd'])).toString()).toBe(`abc ${MARKER}`);
  });

  it('refuse more distinct value bytes than the cap, counting duplicates once', () => {
    const big = 'v'.repeat(MAX_KNOWN_VALUE_BYTES / 2);
    expect(compileKnownValues([big, big])?.valueCount).toBe(1);
    expect(() => compileKnownValues([big, `${big}-`, 'w'.repeat(8)])).toThrow(MaskError);
  });
});

describe('known-value masker', () => {
  const values = [PASSWORD, 'app-prod', 'hunter2-longer-value', 'tok-\u00e9t\u00e9-2025', 'line-one\nline-two'];
  const known = compiled(values);
  const text = Buffer.from([
    `DB_PASSWORD=${PASSWORD}\n`,
    'username: app-prod (and app-production, which contains it)\n',
    `echo ${Buffer.from(PASSWORD).toString('base64')} | base64 -d\n`,
    ...embeddedBase64('hunter2-longer-value').map((e) => `config: ${e}\n`),
    'été: tok-été-2025 in UTF-8\n',
    '{"msg":"multi","v":"line-one\\nline-two"}\n',
    'tty: line-one\r\nline-two\r\n',
    'nothing to see: prod-S3cr3t-pa55wor and app-pro\n',
  ].join(''));
  const expected = reference(text, values);

  it('masks every form of every value, and nothing else', () => {
    const out = maskKnownValues(text, known).toString('utf8');
    expect(out).toBe(expected.toString('utf8'));
    expect(out).not.toContain(PASSWORD);
    expect(out).not.toContain('app-prod');
    expect(out).not.toContain('tok-été-2025');
    expect(out).not.toContain(Buffer.from(PASSWORD).toString('base64'));
    expect(out).toContain('nothing to see: prod-S3cr3t-pa55wor and app-pro\n');
    for (const embedded of embeddedBase64('hunter2-longer-value')) expect(out).not.toContain(embedded);
  });

  it('catches a value split into two chunks at every byte offset', () => {
    for (let cut = 0; cut <= text.length; cut++) {
      const { out } = stream(known, [text.subarray(0, cut), text.subarray(cut)]);
      if (!out.equals(expected)) throw new Error(`split at byte ${cut} differs`);
    }
  });

  it('catches values split across many chunks, down to single bytes', () => {
    for (let seed = 1; seed <= 60; seed++) {
      const { out } = stream(known, randomChunks(text, rng(seed), 1 + (seed % 7) * 5));
      expect(out.equals(expected)).toBe(true);
    }
    expect(stream(known, Array.from(text, (_, i) => text.subarray(i, i + 1))).out.equals(expected)).toBe(true);
  });

  it('masks the same with a set too large for full tables (sibling lists and failure links)', () => {
    const fillers = Array.from({ length: 300 }, (_, i) => `filler-${i}-${'q'.repeat(i % 23)}-end`);
    const large = compiled([...values, ...fillers]);
    const withFillers = Buffer.concat([text, Buffer.from(`${fillers[7]} and ${Buffer.from(fillers[299]!).toString('base64')}\n`)]);
    const want = reference(withFillers, [...values, ...fillers]);
    expect([known.automaton.full, large.automaton.full]).toEqual([true, false]);
    expect(maskKnownValues(withFillers, large).equals(want)).toBe(true);
    for (let cut = 0; cut <= withFillers.length; cut += 7) {
      if (!stream(large, [withFillers.subarray(0, cut), withFillers.subarray(cut)]).out.equals(want)) throw new Error(`split at byte ${cut} differs`);
    }
    for (let seed = 1; seed <= 10; seed++) expect(stream(large, randomChunks(withFillers, rng(seed), 9)).out.equals(want)).toBe(true);
  });

  it('masks overlapping, nested and adjacent values as one marker per covered run', () => {
    const overlapping = ['abcdef', 'defghi', 'cdefgh', 'xxxx', 'zzzzzzzz', 'zzzz'];
    const k = compiled(overlapping);
    const cases: Array<[string, string]> = [
      ['1 abcdefghi 2', `1 ${MARKER} 2`],
      ['abcdefxxxx', MARKER],
      ['xxxxxxxxxxxxx!', `${MARKER}!`],
      ['zzzzzzz', MARKER],
      ['abcdeXdefghi', `abcdeX${MARKER}`],
    ];
    for (const [input, want] of cases) {
      expect(maskKnownValues(input, k).toString()).toBe(want);
      const bytes = Buffer.from(input);
      for (let cut = 0; cut <= bytes.length; cut++) {
        const out = stream(k, [bytes.subarray(0, cut), bytes.subarray(cut)]).out.toString();
        // A run that straddles a seam may become two adjacent markers; no byte of a value may leak.
        expect(out.replaceAll(`${MARKER}${MARKER}`, MARKER)).toBe(want);
      }
    }
  });

  it('never leaks a byte of a value in random text full of near-misses, whatever the chunking', () => {
    const random = rng(7);
    const alphabet = 'abcdefgxyz';
    const vals = ['abca', 'bcab', 'cabcabx', 'gggg', 'abcdefgabcdefg'];
    const k = compiled(vals);
    for (let round = 0; round < 200; round++) {
      let s = '';
      const length = 1 + Math.floor(random() * 120);
      for (let i = 0; i < length; i++) s += alphabet[Math.floor(random() * alphabet.length)];
      const bytes = Buffer.from(s);
      const want = reference(bytes, vals).toString();
      const got = stream(k, randomChunks(bytes, random, 1 + Math.floor(random() * 9))).out.toString();
      expect(got.replaceAll(`${MARKER}${MARKER}`, MARKER).replace(/(\*\*\*MASKED:secret\*\*\*)+/g, MARKER)).toBe(want.replace(/(\*\*\*MASKED:secret\*\*\*)+/g, MARKER));
    }
  });

  it('passes text without values through at once, byte for byte, binary included', () => {
    const plain = Buffer.from([0x00, 0xff, 0xc3, 0x28, ...Buffer.from(' ordinary log line with no secret in it\n')]);
    const masker = createKnownValueMasker(known);
    expect(Buffer.from(masker.write(plain)).equals(plain)).toBe(true);
    expect(masker.end()).toHaveLength(0);
    expect(masker.maskedCount).toBe(0);
  });

  it('holds back only a tail that could begin a value, at most the longest form less one byte', () => {
    const masker = createKnownValueMasker(known);
    const out = Buffer.from(masker.write(Buffer.from(`prompt$ ${PASSWORD.slice(0, 10)}`))).toString();
    expect(out).toBe('prompt$ ');
    const tail = PASSWORD.slice(0, -1);
    let released = 0;
    for (const byte of Buffer.from(`x${tail}`)) released += masker.write(Uint8Array.of(byte)).length;
    expect(known.maxFormLength).toBeGreaterThan(tail.length);
    expect(Buffer.from(masker.end()).toString()).toBe(tail);
    expect(released).toBe(`${PASSWORD.slice(0, 10)}x`.length);
  });

  it('counts one masked value per marker and refuses writes after the end', () => {
    const { count } = stream(known, [text]);
    expect(count).toBe(expected.toString().split(MARKER).length - 1);
    const masker = createKnownValueMasker(known);
    masker.end();
    expect(() => masker.write(Buffer.from('x'))).toThrow(MaskError);
  });

  it('does not keep a view of the caller\'s buffer between writes', () => {
    const masker = createKnownValueMasker(known);
    const chunk = Buffer.from(`value ${PASSWORD.slice(0, 8)}`);
    masker.write(chunk);
    chunk.fill(0x41);
    const rest = Buffer.concat([masker.write(Buffer.from(' is not it')), masker.end()]);
    expect(rest.toString()).toBe(`${PASSWORD.slice(0, 8)} is not it`);
  });

  it('passes a long run of near-misses of a long value through unchanged (bench/mask.ts times it)', () => {
    // Text that keeps almost matching a long value: a backtracking matcher would rescan it per position.
    const long = `${'a'.repeat(2000)}b`;
    const k = compiled([long]);
    const adversarial = Buffer.from('a'.repeat(200_000));
    const masker = createKnownValueMasker(k);
    const out = maskAllChunks(randomChunks(adversarial, rng(3), 4096), masker);
    expect(out.equals(adversarial)).toBe(true);
    expect(masker.maskedCount).toBe(0);
  });
});

describe('chained with the detector masker', () => {
  const detectors = compileDetectors(DETECTOR_NAMES);

  it('masks known values before the detectors see them, and the detectors still work', () => {
    const known = compiled(['plain-looking-value']);
    const input = Buffer.from('v=plain-looking-value key=AKIAIOSFODNN7EXAMPLE\n');
    const masker = chainMaskers(createKnownValueMasker(known), createTextStreamMasker(detectors));
    const out = maskAllChunks(randomChunks(input, rng(5), 6), masker).toString();
    expect(out).toBe(`v=${MARKER} key=${maskMarker('aws-access-key-id')}\n`);
    expect(masker.maskedCount).toBe(2);
  });
});
