/**
 * Every way a policy service URL reaches a command — --server, KGATE_SERVER, `server:` in
 * config.yaml — goes through the same check, which names where the URL came from.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { serverUrlOf } from '../../../src/policy/client-context.js';
import { scratchDir } from '../../support/scratch.js';

function configDir(yaml: string): string {
  const dir = scratchDir('kgate-server-url-');
  writeFileSync(join(dir, 'config.yaml'), yaml);
  return dir;
}

describe('serverUrlOf', () => {
  test('--server first, then KGATE_SERVER, then config.yaml', async () => {
    const dir = configDir('server: https://from-file.example\n');
    expect(await serverUrlOf({ server: 'https://flag.example/' }, { KGATE_SERVER: 'https://env.example', KGATE_CONFIG_DIR: dir })).toBe('https://flag.example');
    expect(await serverUrlOf({}, { KGATE_SERVER: 'https://env.example', KGATE_CONFIG_DIR: dir })).toBe('https://env.example');
    expect(await serverUrlOf({}, { KGATE_CONFIG_DIR: dir })).toBe('https://from-file.example');
    expect(await serverUrlOf({}, { KGATE_CONFIG_DIR: configDir('server:\n  url: http://127.0.0.1:8080\n') })).toBe('http://127.0.0.1:8080');
  });

  test.each<[string, { server?: string }, Record<string, string>, string]>([
    ['--server', { server: 'http://10.0.0.1' }, {}, '(--server)'],
    ['KGATE_SERVER', {}, { KGATE_SERVER: 'http://10.0.0.1:8080' }, '(KGATE_SERVER)'],
    ['config.yaml', {}, { KGATE_CONFIG_DIR: 'FILE' }, 'config.yaml)'],
  ])('plain http to another machine is refused from %s, naming the source', async (_, flags, env, source) => {
    const resolved = env.KGATE_CONFIG_DIR === 'FILE' ? { KGATE_CONFIG_DIR: configDir('server: http://kgate.internal:8080\n') } : env;
    await expect(serverUrlOf(flags, resolved)).rejects.toMatchObject({ code: 'KGATE_INSECURE_SERVER_URL', exit: 2, message: expect.stringContaining(source) });
  });

  test('the insecure flag or KGATE_INSECURE_HTTP_SERVER=1 allows it', async () => {
    expect(await serverUrlOf({ server: 'http://10.0.0.1', 'insecure-http-server': true }, {})).toBe('http://10.0.0.1');
    expect(await serverUrlOf({}, { KGATE_SERVER: 'http://10.0.0.1', KGATE_INSECURE_HTTP_SERVER: '1' })).toBe('http://10.0.0.1');
  });

  test('no URL anywhere is a usage error', async () => {
    await expect(serverUrlOf({}, { KGATE_CONFIG_DIR: scratchDir('kgate-server-url-') })).rejects.toMatchObject({ code: 'KGATE_USAGE', message: 'No policy service configured' });
  });
});
