import { compileDetectors, createTextStreamMasker, DETECTOR_NAMES, maskAllChunks, maskText, maskMarker } from '../../../src/mask/index.js';
import { SECRETS, findLeaks, randomChunks, rng } from './fixtures.js';

const detectors = compileDetectors(DETECTOR_NAMES);

function runChunks(chunks: Uint8Array[]): { out: Buffer; count: number } {
  const stream = createTextStreamMasker(detectors);
  const out = maskAllChunks(chunks, stream);
  return { out, count: stream.maskedCount };
}

/** Log lines each carrying one kind of secret, with non-ASCII text around them. */
const LOG = [
  `2025-03-01T10:00:00Z INFO starting with AWS key ${SECRETS.awsKeyId} — région=eu-west-1\n`,
  `2025-03-01T10:00:01Z DEBUG aws_secret_access_key=${SECRETS.awsSecret}\n`,
  `2025-03-01T10:00:02Z DEBUG Authorization: Bearer ${SECRETS.saToken} 🔑\n`,
  `2025-03-01T10:00:03Z WARN dumping key\n${SECRETS.tlsKey}`,
  `2025-03-01T10:00:04Z INFO cloning https://${SECRETS.githubToken}@github.com/org/repo\n`,
  `2025-03-01T10:00:05Z INFO slack xoxb-2048-4096-AbCdEfGhIjKlMnOp posted\n`,
  `2025-03-01T10:00:06Z ERROR {"user":"app","password":"${SECRETS.dbPassword}","host":"db"} ünïcødé\n`,
  `2025-03-01T10:00:07Z INFO done, no secrets here: 日本語テキスト\n`,
].join('');

describe('text stream masker', () => {
  const expected = maskText(LOG, detectors);

  it('masks a log like maskText does, when whole', () => {
    expect(expected.count).toBe(7);
    expect(findLeaks(expected.text)).toEqual([]);
    const whole = runChunks([Buffer.from(LOG)]);
    expect(whole.out.toString('utf8')).toBe(expected.text);
    expect(whole.count).toBe(7);
  });

  it('catches every secret split into two chunks at every offset', () => {
    const bytes = Buffer.from(LOG);
    const expectedBytes = Buffer.from(expected.text);
    for (let cut = 1; cut < bytes.length; cut++) {
      const { out, count } = runChunks([bytes.subarray(0, cut), bytes.subarray(cut)]);
      if (!out.equals(expectedBytes)) throw new Error(`split at byte ${cut} differs: ${findLeaks(out.toString('utf8')).join(', ')}`);
      expect(count).toBe(7);
    }
  });

  it('catches secrets split into many chunks, down to single bytes, with valid UTF-8 out', () => {
    const bytes = Buffer.from(LOG);
    for (let seed = 1; seed <= 40; seed++) {
      const { out } = runChunks(randomChunks(bytes, rng(seed), 1 + (seed % 5) * 7));
      expect(out.toString('utf8')).toBe(expected.text);
    }
    const single = runChunks(Array.from(bytes, (_, i) => bytes.subarray(i, i + 1)));
    expect(single.out.toString('utf8')).toBe(expected.text);
  });

  it('passes non-secret bytes through unchanged, even invalid UTF-8 and binary', () => {
    const binary = Buffer.from([0xff, 0xfe, 0x00, 0xc3, 0x28, 0xe2, 0x82, 0xac, 0x0a, 0x80, 0x41]);
    for (let seed = 1; seed <= 10; seed++) expect(runChunks(randomChunks(binary, rng(seed), 3)).out.equals(binary)).toBe(true);
  });

  it('widens a masked span to the end of a multi-byte character', () => {
    const { out } = runChunks([Buffer.from('password=geheimé\n')]);
    expect(out.toString('utf8')).toBe(`password=${maskMarker('password-assignment')}\n`);
  });

  it('releases ordinary interactive output at once and holds only a possible secret', () => {
    const stream = createTextStreamMasker(detectors);
    expect(Buffer.from(stream.write(Buffer.from('user@pod:/app$ '))).toString()).toBe('user@pod:/app$ ');
    expect(Buffer.from(stream.write(Buffer.from('ls\r\nmain.go  go.mod\r\n'))).toString()).toBe('ls\r\nmain.go  go.mod\r\n');
    expect(Buffer.from(stream.write(Buffer.from('export DB_PASSWORD=hun'))).toString()).toBe('export DB_PASSWORD=');
    expect(Buffer.from(stream.write(Buffer.from('ter2\r\n'))).toString()).toBe(`${maskMarker('password-assignment')}\r\n`);
    expect(Buffer.from(stream.end()).toString()).toBe('');
    expect(stream.maskedCount).toBe(1);
  });

  it('holds a private key until its END line, then masks the body', () => {
    const stream = createTextStreamMasker(detectors);
    const [head, ...rest] = SECRETS.tlsKey.split('\n');
    let out = Buffer.from(stream.write(Buffer.from(`$ cat key.pem\n${head}\n`))).toString();
    expect(out).toBe('$ cat key.pem\n');
    for (const line of rest) out += Buffer.from(stream.write(Buffer.from(`${line}\n`))).toString();
    out += Buffer.from(stream.end()).toString();
    expect(findLeaks(out)).toEqual([]);
    expect(out).toContain(maskMarker('pem-private-key'));
  });

  it('bounds what it holds back', () => {
    const stream = createTextStreamMasker(detectors);
    const noSpaces = Buffer.from('ey'.padEnd(200_000, 'A'));
    const out = Buffer.from(stream.write(noSpaces));
    expect(out.length).toBeGreaterThan(200_000 - 20_000);
    expect(out.length + Buffer.from(stream.end()).length).toBe(200_000);
  });
});
