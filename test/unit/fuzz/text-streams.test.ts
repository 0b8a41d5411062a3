/**
 * Fuzzing the free-text maskers (pod logs, exec output, any string value): random text with odd
 * Unicode and planted secrets of every detector's shape, masked whole and as a stream cut at
 * random points, at every single byte, and through the exec relay's per-channel masker with
 * stdout and stderr interleaved. No planted secret may come out, output stays valid where the
 * input was, and nothing throws.
 */
import { createOutputMasker } from '../../../src/broker/exec/output-masker.js';
import { compileDetectors, createTextStreamMasker, DETECTOR_NAMES, maskAllChunks, maskText } from '../../../src/mask/index.js';
import { FUZZ_SEED, Gen, fuzzRuns, leaks, splitRandomly, textWithSecrets } from './support.js';

const detectors = compileDetectors(DETECTOR_NAMES);

describe(`fuzz: text maskers (seed ${FUZZ_SEED})`, () => {
  it(`never let a planted secret through, whole or streamed in random chunks (${fuzzRuns(300)} cases)`, () => {
    const gen = new Gen(FUZZ_SEED);
    for (let run = 0; run < fuzzRuns(300); run++) {
      const { text, planted } = textWithSecrets(gen, 1 + gen.int(30));
      const whole = maskText(text, detectors).text;
      expect({ run, leaks: leaks(whole, planted) }).toEqual({ run, leaks: [] });
      const bytes = Buffer.from(text, 'utf8');
      const streamed = maskAllChunks(splitRandomly(gen, bytes, gen.pick([3, 64, 1024, 70_000])), createTextStreamMasker(detectors)).toString('utf8');
      expect({ run, leaks: leaks(streamed, planted) }).toEqual({ run, leaks: [] });
    }
  });

  it(`never let a planted secret through when cut at every byte (${fuzzRuns(25)} cases)`, () => {
    const gen = new Gen(FUZZ_SEED + 1);
    for (let run = 0; run < fuzzRuns(25); run++) {
      const { text, planted } = textWithSecrets(gen, 1 + gen.int(8));
      const bytes = Buffer.from(text, 'utf8');
      const out = maskAllChunks(Array.from(bytes, (_, i) => bytes.subarray(i, i + 1)), createTextStreamMasker(detectors));
      expect({ run, leaks: leaks(out.toString('utf8'), planted) }).toEqual({ run, leaks: [] });
    }
  });

  it(`never let a planted secret through any two-piece cut of a text (${fuzzRuns(10)} texts)`, () => {
    const gen = new Gen(FUZZ_SEED + 2);
    for (let run = 0; run < fuzzRuns(10); run++) {
      const { text, planted } = textWithSecrets(gen, 1 + gen.int(6));
      const bytes = Buffer.from(text, 'utf8');
      for (let cut = 1; cut < bytes.length; cut++) {
        const out = maskAllChunks([bytes.subarray(0, cut), bytes.subarray(cut)], createTextStreamMasker(detectors)).toString('utf8');
        if (leaks(out, planted).length > 0) expect({ run, cut, leaks: leaks(out, planted) }).toEqual({ run, cut, leaks: [] });
      }
    }
  });

  it(`keeps valid UTF-8 valid and every byte outside a secret unchanged (${fuzzRuns(200)} cases)`, () => {
    const gen = new Gen(FUZZ_SEED + 3);
    for (let run = 0; run < fuzzRuns(200); run++) {
      // No secrets: the output must be the input, byte for byte, however it is cut.
      const text = gen.oddText(60).replace(/[\ud800-\udfff]/g, (c, i: number, s: string) => (/[\ud800-\udbff][\udc00-\udfff]/.test(s.slice(i - 1, i + 1) + s[i + 1]) ? c : '?'));
      const bytes = Buffer.from(text, 'utf8');
      const out = maskAllChunks(splitRandomly(gen, bytes, 1 + gen.int(16)), createTextStreamMasker(detectors));
      const expected = Buffer.from(maskText(bytes.toString('latin1'), detectors).text, 'latin1');
      expect({ run, out: out.toString('latin1') }).toEqual({ run, out: expected.toString('latin1') });
      expect(Buffer.from(out.toString('utf8'), 'utf8').equals(out)).toBe(true);
    }
  });

  it(`take arbitrary bytes without throwing (${fuzzRuns(200)} cases)`, () => {
    const gen = new Gen(FUZZ_SEED + 4);
    for (let run = 0; run < fuzzRuns(200); run++) {
      const bytes = Buffer.from(Array.from({ length: gen.int(600) }, () => gen.int(256)));
      const stream = createTextStreamMasker(detectors);
      const out = maskAllChunks(splitRandomly(gen, bytes, 1 + gen.int(40)), stream);
      expect(out.length).toBeGreaterThanOrEqual(0);
    }
  });

  it(`mask stdout and stderr of an exec session apart, however their frames interleave (${fuzzRuns(150)} cases)`, () => {
    const gen = new Gen(FUZZ_SEED + 5);
    for (let run = 0; run < fuzzRuns(150); run++) {
      const streams = [textWithSecrets(gen, 1 + gen.int(10)), textWithSecrets(gen, 1 + gen.int(10))];
      const frames = streams.map((s) => splitRandomly(gen, Buffer.from(s.text, 'utf8'), 1 + gen.int(50)));
      const output = createOutputMasker(detectors);
      const out: Buffer[][] = [[], []];
      while (frames[0]!.length > 0 || frames[1]!.length > 0) {
        const channel = frames[0]!.length === 0 ? 1 : frames[1]!.length === 0 ? 0 : gen.int(2);
        out[channel]!.push(Buffer.from(output.write(channel + 1, frames[channel]!.shift()!)));
      }
      for (const { channel, payload } of output.endAll()) out[channel - 1]!.push(Buffer.from(payload));
      for (const channel of [0, 1]) {
        expect({ run, channel, leaks: leaks(Buffer.concat(out[channel]!).toString('utf8'), streams[channel]!.planted) }).toEqual({ run, channel, leaks: [] });
      }
    }
  });
});
