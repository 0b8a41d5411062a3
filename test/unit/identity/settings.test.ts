import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KgateError } from '../../../src/cli/errors.js';
import { parseIdentityConfig } from '../../../src/identity/config-file.js';
import { checkIssuer, resolveIdentitySettings } from '../../../src/identity/settings.js';

let dir: string;
let env: NodeJS.ProcessEnv;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kgate-settings-'));
  await mkdir(join(dir, 'config'));
  env = { KGATE_CONFIG_DIR: join(dir, 'config'), KGATE_STATE_DIR: join(dir, 'state') };
});

afterEach(() => rm(dir, { recursive: true, force: true }));

const writeConfig = (text: string) => writeFile(join(dir, 'config', 'config.yaml'), text);

describe('resolveIdentitySettings', () => {
  test('defaults with no flags, environment or config file', async () => {
    const s = await resolveIdentitySettings({}, env);
    expect(s).toMatchObject({ issuer: undefined, clientId: 'kgate-cli', audience: 'kgate', tokenStorage: 'auto', explicitScopes: false, clientSecretSource: undefined });
    expect(s.scopes).toEqual(['openid', 'profile', 'groups', 'offline_access']);
    expect(s.paths.state).toBe(join(dir, 'state'));
  });

  test('flags beat KGATE_* variables, which beat the config file', async () => {
    await writeConfig('issuer: https://file.example\nclientId: from-file\naudience: file-aud\nscopes: [openid, email]\ntokenStorage: file\n');
    expect(await resolveIdentitySettings({}, env)).toMatchObject({ issuer: 'https://file.example', clientId: 'from-file', audience: 'file-aud', scopes: ['openid', 'email'], tokenStorage: 'file' });
    const fromEnv = { ...env, KGATE_ISSUER: 'https://env.example/', KGATE_CLIENT_ID: 'from-env', KGATE_SCOPES: 'openid groups', KGATE_TOKEN_STORAGE: 'none' };
    expect(await resolveIdentitySettings({}, fromEnv)).toMatchObject({ issuer: 'https://env.example', clientId: 'from-env', scopes: ['openid', 'groups'], tokenStorage: 'none', audience: 'file-aud' });
    expect(await resolveIdentitySettings({ issuer: 'https://flag.example', 'client-id': 'from-flag', scope: ['a b', 'c'] }, fromEnv))
      .toMatchObject({ issuer: 'https://flag.example', clientId: 'from-flag', scopes: ['a', 'b', 'c'], explicitScopes: true });
  });

  test('the client secret is read only when asked for, from the first source that has one', async () => {
    const file = join(dir, 'secret');
    await writeFile(file, '  s3cret\n');
    const s = await resolveIdentitySettings({}, { ...env, KGATE_CLIENT_SECRET_FILE: file });
    expect(s.clientSecretSource).toBe('KGATE_CLIENT_SECRET_FILE');
    expect(await s.clientSecret()).toEqual({ value: 's3cret', source: 'KGATE_CLIENT_SECRET_FILE' });
    const flagged = await resolveIdentitySettings({ 'client-secret': 'x' }, { ...env, KGATE_CLIENT_SECRET: 'y' });
    expect(await flagged.clientSecret()).toEqual({ value: 'x', source: 'flag' });
    const missing = await resolveIdentitySettings({}, { ...env, KGATE_CLIENT_SECRET_FILE: join(dir, 'nope') });
    await expect(missing.clientSecret()).rejects.toThrow(/Cannot read the client secret file .*nope \(ENOENT\)/);
  });

  test('bad values are usage errors naming the source', async () => {
    await expect(resolveIdentitySettings({ 'token-storage': 'disk' }, env)).rejects.toMatchObject({ code: 'KGATE_USAGE', message: 'Unknown token storage "disk"' });
    await writeConfig('issuer: https://ok.example\nfoo: 1\n');
    await expect(resolveIdentitySettings({}, env)).rejects.toThrow(/config\.yaml: unknown key "foo"/);
  });
});

describe('checkIssuer', () => {
  test.each([
    ['https://idp.example.com/', 'https://idp.example.com'],
    ['https://idp.example.com/realms/x', 'https://idp.example.com/realms/x'],
  ])('%s is accepted as %s', (input, expected) => {
    expect(checkIssuer(input)).toBe(expected);
  });

  test.each([['idp.example.com', /not a URL/], ['http://idp.example.com', /must use https/], ['https://idp.example.com/?x=1', /query or fragment/]])(
    '%s is refused', (input, message) => {
      expect(() => checkIssuer(input)).toThrow(message);
      expect(() => checkIssuer(input)).toThrow(KgateError);
    },
  );
});

describe('parseIdentityConfig', () => {
  test.each([
    ['issuer: [1]', 'x.yaml: issuer must be a non-empty string'],
    ['clientSecret: hunter2', 'x.yaml: clientSecret must not be written in the config file'],
    ['scopes: 3', 'x.yaml: scopes must be a list of words or a space-separated string'],
    ['- a\n- b', 'x.yaml must be a YAML mapping (key: value lines)'],
    ['issuer: "unterminated', 'x.yaml is not valid YAML'],
  ])('%j → %s', async (text, message) => {
    await expect(parseIdentityConfig(text, 'x.yaml')).rejects.toThrow(message);
  });

  test('an empty file and other features\' keys are fine', async () => {
    expect(await parseIdentityConfig('', 'x.yaml')).toEqual({});
    expect(await parseIdentityConfig('server: https://policy\nscopes: openid groups\n', 'x.yaml')).toEqual({ scopes: ['openid', 'groups'] });
  });
});
