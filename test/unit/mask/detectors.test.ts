import { compileDetectors, DETECTOR_NAMES, maskMarker, maskText, MaskError } from '../../../src/mask/index.js';
import { detectorTrigger } from '../../../src/mask/detectors.js';
import type { Detector } from '../../../src/mask/index.js';
import { SECRETS, rng } from './fixtures.js';
import { defaultMasking } from '../../../src/policy/schema/index.js';

const all = compileDetectors(DETECTOR_NAMES);
const M = (name: string) => maskMarker(name);

describe('detectors', () => {
  it('knows exactly the detectors policy files name', async () => {
    const { BUILTIN_DETECTORS } = await import('../../../src/policy/schema/index.js');
    expect([...DETECTOR_NAMES].sort()).toEqual([...BUILTIN_DETECTORS].sort());
  });

  it.each([
    ['aws-access-key-id', `export AWS_ACCESS_KEY_ID=${SECRETS.awsKeyId} ok`, `export AWS_ACCESS_KEY_ID=${M('aws-access-key-id')} ok`],
    ['aws-access-key-id', 'session ASIAY34FZKBOKMUTVV7A.', `session ${M('aws-access-key-id')}.`],
    ['aws-secret-access-key', `aws_secret_access_key = ${SECRETS.awsSecret}`, `aws_secret_access_key = ${M('aws-secret-access-key')}`],
    ['aws-secret-access-key', `{"SecretAccessKey":"${SECRETS.awsSecret}"}`, `{"SecretAccessKey":"${M('aws-secret-access-key')}"}`],
    ['jwt', `Authorization: Bearer ${SECRETS.saToken}`, `Authorization: Bearer ${M('jwt')}`],
    ['pem-private-key', `key:\n${SECRETS.tlsKey}`, `key:\n-----BEGIN RSA PRIVATE KEY-----${M('pem-private-key')}-----END RSA PRIVATE KEY-----\n`],
    ['pem-private-key', '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----', `-----BEGIN OPENSSH PRIVATE KEY-----${M('pem-private-key')}-----END OPENSSH PRIVATE KEY-----`],
    ['pem-private-key', '-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\\n-----END PRIVATE KEY-----', `-----BEGIN PRIVATE KEY-----${M('pem-private-key')}-----END PRIVATE KEY-----`],
    ['github-token', `git clone https://${SECRETS.githubToken}@github.com/o/r`, `git clone https://${M('github-token')}@github.com/o/r`],
    ['github-token', `github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVW`, M('github-token')],
    ['slack-token', 'SLACK=xoxb-2048-4096-AbCdEfGhIjKlMnOp done', `SLACK=${M('slack-token')} done`],
    ['password-assignment', 'PASSWORD=hunter2 next', `PASSWORD=${M('password-assignment')} next`],
    ['password-assignment', '{"password": "hunter two", "user": "bob"}', `{"password": "${M('password-assignment')}", "user": "bob"}`],
    ['password-assignment', "db:\n  passwd: 's3 cr3t'\n  host: db", `db:\n  passwd: '${M('password-assignment')}'\n  host: db`],
    ['password-assignment', 'url?client_secret=abc123&x=1', `url?client_secret=${M('password-assignment')}&x=1`],
    ['password-assignment', 'log {\\"token\\":\\"abc def\\"}', `log {\\"token\\":\\"${M('password-assignment')}\\"}`],
  ])('%s masks only the secret in %j', (name, text, expected) => {
    const detectors = compileDetectors([name]);
    expect(maskText(text, detectors)).toEqual({ text: expected, count: 1 });
  });

  it.each([
    ['a quote left open', 'user_password="x> ; apiKey="Av5secret" <', `user_password="${M('password-assignment')}"${M('password-assignment')}" <`],
    ['single quotes', "token='a b token='Av5secret' c", `token='${M('password-assignment')}'${M('password-assignment')}' c`],
    ['an unquoted value', "tokenAKIA: passwd = 'Av5secret' x", `tokenAKIA: ${M('password-assignment')} = '${M('password-assignment')}' x`],
    ['an unquoted value ending in a separator', 'password=token= Av5secret x', `password=${M('password-assignment')} ${M('password-assignment')} x`],
    ['escaped quotes', 'secret=\\"x, password=\\"Av5secret\\" y', `secret=\\"${M('password-assignment')}\\"${M('password-assignment')}\\" y`],
  ])('masks the value after %s that holds the key of the next assignment', (_what, text, expected) => {
    expect(maskText(text, all).text).toBe(expected);
    expect(maskText(text, all).text).not.toContain('Av5secret');
  });

  it.each([
    'AKIAIOSFODNN7EXAMPLEXX is too long',
    'eyJub3RhIjoiand0In0.eyJzdWIiOiJ4In0.c2ln has no alg',
    'ghp_short',
    '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----',
    'the secret of success is patience',
    'password: ""',
    `password: ${M('env')}`,
  ])('leaves %j alone', (text) => {
    expect(maskText(text, all)).toEqual({ text, count: 0 });
  });

  it('masks several secrets in one text and never reveals their length', () => {
    const text = `a=${SECRETS.awsKeyId} token=${'x'.repeat(300)} b=${SECRETS.githubToken}`;
    const masked = maskText(text, all);
    expect(masked.count).toBe(3);
    expect(masked.text).toBe(`a=${M('aws-access-key-id')} token=${M('password-assignment')} b=${M('github-token')}`);
  });

  it('supports custom /regex/ detectors and refuses unknown names', () => {
    const custom = compileDetectors(['/acme_[0-9a-f]{8}/i']);
    expect(maskText('key ACME_deadbeef end', custom)).toEqual({ text: `key ${M('custom')} end`, count: 1 });
    expect(() => compileDetectors(['credit-card'])).toThrow(MaskError);
    expect(() => compileDetectors(['/(/'])).toThrow(expect.objectContaining({ code: 'MASK_CONFIG' }));
  });

  describe('the combined trigger that lets most strings skip every detector', () => {
    const trigger = detectorTrigger(all)!;
    /** The same detectors with no pre-checks at all: what the patterns alone find. */
    const unfiltered: Detector[] = all.map((d) => ({ ...d, trigger: undefined }));

    /** Pieces that make or nearly make secrets, glued at random so matches start and stop anywhere. */
    const FRAGMENTS = [
      SECRETS.awsKeyId, SECRETS.awsSecret, SECRETS.saToken, SECRETS.githubToken, SECRETS.tlsKey, SECRETS.dbPassword,
      'AKIA', 'ASIA', 'ey', 'eyJhbGciOiJIUzI1NiJ9', '.', 'ghp_', 'github_pat_', 'xoxb-', 'xoxp-1234567890',
      'password', 'PassWord', 'PASSWD', 'Secret', 'TOKEN', 'api_key', 'ApiKey', 'aws_secret_access_key', 'secretAccessKey',
      '=', ':', ' = ', '"', "'", '\\"', '\\', '\n', '\t', ' ', '-----BEGIN RSA PRIVATE KEY-----', '-----END RSA PRIVATE KEY-----',
      'hunter2', 'ABCDEFGHIJKLMNOP', 'wJalrXUtnFEMI/K7MDENG', 'é', '🔑', '/var/run/secrets/kubernetes.io', 'secretKeyRef',
    ];

    it('matches every text in which any built-in pattern finds a secret (random texts)', () => {
      const random = rng(42);
      let withSecrets = 0;
      for (let n = 0; n < 3000; n++) {
        let text = '';
        const parts = 1 + Math.floor(random() * 8);
        for (let p = 0; p < parts; p++) text += FRAGMENTS[Math.floor(random() * FRAGMENTS.length)]!;
        const found = maskText(text, unfiltered);
        if (found.count > 0) {
          withSecrets++;
          expect({ text, matched: trigger.test(text) }).toEqual({ text, matched: true });
        }
        expect(maskText(text, all)).toEqual(found);
      }
      expect(withSecrets).toBeGreaterThan(500);
    });

    it.each([
      ['aws-access-key-id', `id=${SECRETS.awsKeyId}`],
      ['aws-secret-access-key', `AWS_SECRET_ACCESS_KEY: "${SECRETS.awsSecret}"`],
      ['aws-secret-access-key', `Secret-Access-Key:${SECRETS.awsSecret}`],
      ['jwt', SECRETS.saToken],
      ['pem-private-key', SECRETS.tlsKey],
      ['github-token', SECRETS.githubToken],
      ['slack-token', 'xoxb-2048-4096-AbCdEfGhIjKlMnOp'],
      ['password-assignment', 'PassPhrase = "two words"'],
      ['password-assignment', "API-KEY:'k'"],
      ['password-assignment', 'client_secret=abc&x=1'],
    ])('matches a %s text in any letter case the detector accepts: %j', (name, text) => {
      expect(maskText(text, compileDetectors([name])).count).toBe(1);
      expect(trigger.test(text)).toBe(true);
    });

    it('lets ordinary Kubernetes strings skip the detectors', () => {
      for (const text of ['2025-03-01T10:00:00Z', 'registry.example/web:1.0', '/var/run/secrets/kubernetes.io/serviceaccount', 'IfNotPresent', 'password']) {
        expect(trigger.test(text)).toBe(false);
      }
    });

    it('is undefined when a custom /regex/ detector has no trigger, so nothing is skipped', () => {
      expect(detectorTrigger(compileDetectors([...DETECTOR_NAMES, '/acme_[0-9a-f]{8}/i']))).toBeUndefined();
      expect(detectorTrigger([])).toBeUndefined();
    });
  });
});


describe('a value that only starts with a marker', () => {
  const detectors = compileDetectors(defaultMasking().detectors);
  it.each([
    ['password=***MASKED:x***hunter2-secret', 'password=***MASKED:password-assignment***'],
    ['token: "***MASKED:secret***s3cr3t-value"', 'token: "***MASKED:password-assignment***"'],
  ])('is masked like any other value: %s', (input, output) => {
    expect(maskText(input, detectors).text).toBe(output);
  });

  it('while an exact marker is left as it is (masking twice changes nothing)', () => {
    const once = maskText('password=hunter2-secret and token="abc123xyz"', detectors).text;
    expect(maskText(once, detectors)).toEqual({ text: once, count: 0 });
  });
});
