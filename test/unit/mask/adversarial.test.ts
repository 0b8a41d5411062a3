/**
 * Inputs built to make backtracking detectors slow (issue 11, item 9). Speed is the benchmark's
 * job (bench/mask.ts, adversarial rows); these tests hold the linear rewrites to the same answers
 * as the patterns they replaced, and check that secrets inside such inputs are still masked,
 * whole and streamed in any chunking.
 */
import { compileDetectors, createTextStreamMasker, DETECTOR_NAMES, findSecretSpans, isMarked, maskText } from '../../../src/mask/index.js';
import { SECRETS, findLeaks, randomChunks, rng } from './fixtures.js';

const all = compileDetectors(DETECTOR_NAMES);
const pem = compileDetectors(['pem-private-key']);

/** The backtracking pattern the PEM scanner replaced: fine on short texts, the reference here. */
const PEM_REFERENCE = /(-----BEGIN [A-Z0-9 ]{0,32}PRIVATE KEY(?: BLOCK)?-----)([\s\S]{1,16384}?(?=-----END [A-Z0-9 ]{0,32}PRIVATE KEY(?: BLOCK)?-----)|[A-Za-z0-9+/=\r\n\t :,\\-]{1,16384})/g;

function referencePemSpans(text: string): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  PEM_REFERENCE.lastIndex = 0;
  for (let m = PEM_REFERENCE.exec(text); m; m = PEM_REFERENCE.exec(text)) {
    const start = m.index + m[1]!.length;
    if (!isMarked(m[2]!)) spans.push([start, start + m[2]!.length]);
  }
  return spans;
}

const PEM_PIECES = [
  '-----BEGIN PRIVATE KEY-----', '-----BEGIN RSA PRIVATE KEY-----', '-----BEGIN EC PRIVATE KEY BLOCK-----', '-----BEGIN CERTIFICATE-----',
  '-----END PRIVATE KEY-----', '-----END RSA PRIVATE KEY-----', '-----END X-----', '-----BEGIN ', '-----END ', 'PRIVATE KEY', '-----',
  'MIIEvQIBADANBg', '\n', ' ', '.', 'x', '"', '\\n', '***MASKED:pem-private-key***', 'Proc-Type: 4,ENCRYPTED',
];

describe('linear detectors', () => {
  const seed = Number(process.env.KGATE_FUZZ_SEED ?? 11);
  const runs = Number(process.env.KGATE_FUZZ_RUNS ?? 300);

  it(`the PEM scanner finds exactly what the old pattern found (${runs} random texts, seed ${seed})`, () => {
    const random = rng(seed);
    for (let run = 0; run < runs; run++) {
      let text = '';
      const pieces = 1 + Math.floor(random() * 40);
      for (let i = 0; i < pieces; i++) text += PEM_PIECES[Math.floor(random() * PEM_PIECES.length)]!;
      const found = findSecretSpans(text, pem).map((s) => [s.start, s.end]);
      expect([text, found]).toEqual([text, referencePemSpans(text)]);
    }
  });

  it.each([
    ['PEM headers', '-----BEGIN PRIVATE KEY-----.'],
    ['PEM headers with base64 runs', '-----BEGIN PRIVATE KEY-----AAAA\n'],
    ['PEM headers with bogus END lines', '-----BEGIN PRIVATE KEY-----x-----END X-----'],
    ['JWT look-alikes', 'eyJhbGciOiJIUzI1NiJ9.'],
    ['password escapes', 'password="\\a\\a\\a\\a'],
    ['chained assignments', 'password=password='],
    ['token words', 'token token= '],
    ['GitHub prefixes', 'ghp_'],
  ])('secrets inside %s are masked, whole and streamed in any chunking', (_what, unit) => {
    const filler = unit.repeat(Math.ceil(40_000 / unit.length));
    const text = `${filler}\n${SECRETS.tlsKey}\n${filler} Bearer ${SECRETS.saToken} ${filler}\nAWS ${SECRETS.awsKeyId} ${filler}`;
    expect(findLeaks(maskText(text, all).text)).toEqual([]);
    const random = rng(seed);
    for (const max of [1 << 16, 4096, 97]) {
      const stream = createTextStreamMasker(all);
      const out: Uint8Array[] = randomChunks(Buffer.from(text, 'latin1'), random, max).map((c) => stream.write(c));
      out.push(stream.end());
      expect(findLeaks(Buffer.concat(out).toString('latin1'))).toEqual([]);
    }
  });

  it('an open password value with escapes is held, then masked once it ends', () => {
    const stream = createTextStreamMasker(all);
    const first = Buffer.from(stream.write(Buffer.from(`ok\npassword="${'\\a'.repeat(200)}`))).toString();
    expect(first).toBe('ok\npassword=');
    const rest = Buffer.from(stream.write(Buffer.from('"\n'))).toString() + Buffer.from(stream.end()).toString();
    expect(first + rest).toBe('ok\npassword="***MASKED:password-assignment***"\n');
  });
});
