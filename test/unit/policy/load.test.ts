import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatIssue, loadPolicy, PolicyError } from '../../../src/policy/schema/index.js';
import { BASE, mutate, positionOf } from './fixtures.js';

describe('loadPolicy', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kgate-policy-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reads and merges files, expanding variables from the given environment', async () => {
    const file = join(dir, 'ok.yaml');
    await writeFile(file, mutate(BASE, 'https://idp.example.com', '${IDP}'));
    const policy = await loadPolicy([file], { env: { IDP: 'https://127.0.0.1:9999' } });
    expect(policy.issuers[0]?.issuer).toBe('https://127.0.0.1:9999');
  });

  it('throws a PolicyError (exit 2) carrying every issue', async () => {
    const file = join(dir, 'bad.yaml');
    const text = mutate(mutate(BASE, 'maxTTL: 8h', 'maxTTL: forever'), 'effect: deny', 'effect: nope');
    await writeFile(file, text);
    const error = await loadPolicy([file], { env: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PolicyError);
    const { issues, exit, code } = error as PolicyError;
    expect({ exit, code }).toEqual({ exit: 2, code: 'KGATE_POLICY_INVALID' });
    const at = positionOf(text, 'forever');
    expect(issues.map(formatIssue)).toEqual([
      `${file}:${at.line}:${at.column} spec.grants[0].maxTTL: expected a duration like 15m or 1h, got "forever"`,
      `${file}:${positionOf(text, 'nope').line}:${positionOf(text, 'nope').column} spec.rules[0].effect: expected one of "allow", "deny", "approve", got "nope"`,
    ]);
    expect((error as PolicyError).message).toBe(`the policy has 2 issues; first: ${formatIssue(issues[0]!)}`);
  });

  it('reports a missing file without a position', async () => {
    const missing = join(dir, 'missing.yaml');
    const error = (await loadPolicy([missing]).catch((e: unknown) => e)) as PolicyError;
    expect(error.issues).toEqual([{ file: missing, line: 0, column: 0, path: '', message: 'cannot read: no such file' }]);
    expect(formatIssue(error.issues[0]!)).toBe(`${missing}: cannot read: no such file`);
  });

  it('refuses a directory', async () => {
    const error = (await loadPolicy([dir]).catch((e: unknown) => e)) as PolicyError;
    expect(error.issues[0]?.message).toBe('cannot read: not a regular file');
  });
});
