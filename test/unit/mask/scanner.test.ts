/**
 * The anchored scanner (src/mask/scanner.ts) against the plain way it replaced: each detector's
 * global pattern run over the whole text. Random texts are built from pieces that make anchors,
 * near misses and real secrets, in every mix, so both ways must find exactly the same spans;
 * dense and sparse mixes drive the scanner through each of its paths (anchors forward, back from
 * rare separators, and the fall-back to the patterns' own scans).
 */
import { compileDetectors, DETECTOR_NAMES, findSecretSpans, isMarked, maskText } from '../../../src/mask/index.js';
import type { Detector, SecretSpan } from '../../../src/mask/index.js';
import { SECRETS, rng } from './fixtures.js';

/**
 * The previous findSecretSpans: every detector's pattern (or scanner) over the whole text, going
 * on after each match (for an assignment: after its key when the value was quoted, else where a
 * key could start that runs past the value's end).
 */
function referenceSpans(text: string, detectors: readonly Detector[]): SecretSpan[] {
  const spans: SecretSpan[] = [];
  for (const detector of detectors) {
    if (detector.scan) {
      for (const { start, end } of detector.scan(text)) {
        const secret = text.slice(start, end);
        if (!isMarked(secret) && (!detector.validate || detector.validate(secret))) spans.push({ start, end, detector: detector.name });
      }
      continue;
    }
    const pattern = new RegExp(detector.pattern.source, detector.pattern.flags);
    for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
      const end = m.index + Math.max(1, m[0].length);
      if (!detector.keepsPrefix) pattern.lastIndex = end;
      else if (detector.reentrantGroups?.some((g) => m[g] !== undefined)) pattern.lastIndex = m.index + m[1]!.length;
      else pattern.lastIndex = Math.max(m.index + m[1]!.length, end - (detector.anchor?.endsWith?.reach ?? 0));
      let secret = m[0];
      let start = m.index;
      if (detector.keepsPrefix) {
        const value = m.slice(2).find((g) => g !== undefined);
        if (value === undefined) continue;
        start = m.index + m[0].indexOf(value, m[1]!.length);
        secret = value;
      }
      if (secret.length === 0 || isMarked(secret) || (detector.validate && !detector.validate(secret))) continue;
      spans.push({ start, end: start + secret.length, detector: detector.name });
    }
  }
  spans.sort((a, b) => a.start - b.start || b.end - a.end);
  const merged: SecretSpan[] = [];
  for (const span of spans) {
    const last = merged[merged.length - 1];
    if (last && span.start < last.end) last.end = Math.max(last.end, span.end);
    else merged.push({ ...span });
  }
  return merged;
}

const PIECES = [
  // keys, separators and values of assignments
  'password', 'PASSWORD', 'passwd', 'passphrase', 'db_password', 'secret', 'Secret', 'aws_secret_access_key', 'AWS_SECRET_KEY', 'secret.access.key',
  'token', 'TOKEN', 'api_key', 'apikey', 'api-key', 'api', 'pass', '=', ':', ' = ', ': ', '\\"', '"', "'", '\\', '\\"=', '":"', "='", '= ', '\t',
  'hunter2', 'x', 'a b', SECRETS.awsSecret, `${SECRETS.awsSecret}x`,
  // tokens and their near misses
  SECRETS.awsKeyId, 'AKIA', 'ASIAABCDEFGHIJKLMNOP', 'AKIAIOSFODNN7EXAMPL', SECRETS.githubToken, 'ghp_', 'github_pat_', `github_pat_${'a1_'.repeat(8)}`,
  'xoxb-', 'xoxb-1234567890-abcdef', 'xox', SECRETS.saToken, SECRETS.saToken.slice(0, 40), 'eyJhbGciOiJIUzI1NiJ9', 'ey', 'ew', 'e', 'eyAAAAAAAAAAAA.',
  // PEM pieces
  '-----BEGIN PRIVATE KEY-----', '-----END PRIVATE KEY-----', '-----BEGIN ', 'MIIEvQIBADANBg',
  // boundaries, blanks and markers
  ' ', '\n', '\r\n', '.', '_', '-', '/', '+', ',', ';', '{', '}', '&', 'é', '***MASKED:jwt***', 'A', '0', 'z',
];

function randomText(random: () => number, pieces: number): string {
  let text = '';
  for (let i = 0; i < pieces; i++) text += PIECES[Math.floor(random() * PIECES.length)]!;
  return text;
}

describe('anchored scanner', () => {
  const seed = Number(process.env.KGATE_FUZZ_SEED ?? 7);
  const runs = Number(process.env.KGATE_FUZZ_RUNS ?? 400);
  const all = compileDetectors(DETECTOR_NAMES);
  const withCustom = compileDetectors([...DETECTOR_NAMES, '/tok_[a-z0-9_]+/', '/(?:db|cm)-pass-[a-z0-9-]+/i']);

  it(`finds exactly the spans of each pattern's own scan (${runs} texts per mix, seed ${seed})`, () => {
    const random = rng(seed);
    for (const [pieces, filler] of [[8, ''], [60, ''], [300, ''], [40, 'Zm9vYmFy'.repeat(300)], [200, '==::'.repeat(50)]] as const) {
      for (let run = 0; run < runs; run++) {
        const text = randomText(random, pieces) + filler + randomText(random, pieces);
        for (const detectors of [all, withCustom]) {
          const found = findSecretSpans(text, detectors);
          const expected = referenceSpans(text, detectors);
          if (JSON.stringify(found) !== JSON.stringify(expected)) expect({ text, found }).toEqual({ text, found: expected });
        }
      }
    }
  });

  it.each([
    ['GitHub prefixes', 'ghp_'],
    ['JWT starts after dots', '.ey'],
    ['AWS prefixes', ' AKIA'],
    ['assignment keys without values', 'password= ;'],
    ['keys with separators far apart', `token${'_'.repeat(45)}=`],
    ['a key right after an empty value', 'password=;token=ab '],
    ['quoted values back to back', "password='"],
  ])('finds the same spans in text dense with anchors: %s', (_what, unit) => {
    const text = `${unit.repeat(3000)} password=${SECRETS.dbPassword} ${unit.repeat(3000)} ${SECRETS.githubToken} ${SECRETS.saToken}`;
    expect(findSecretSpans(text, all)).toEqual(referenceSpans(text, all));
    expect(maskText(text, all).count).toBeGreaterThanOrEqual(3);
  });
});
