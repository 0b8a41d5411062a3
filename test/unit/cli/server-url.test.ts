import { checkListenAddress, checkServerUrl, insecureHttpAllowed, isLoopbackHost } from '../../../src/cli/server-url.js';

describe('isLoopbackHost', () => {
  test.each([
    '127.0.0.1', '127.1.2.3', '127.255.255.254', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', '[::ffff:7f00:1]', 'localhost', 'LOCALHOST', 'localhost.',
  ])('%s is loopback', (host) => expect(isLoopbackHost(host)).toBe(true));

  test.each([
    '10.0.0.1', '0.0.0.0', '::', '[::]', '128.0.0.1', '1.127.0.0', '::2', '::ffff:10.0.0.1', '[::ffff:a00:1]', 'fe80::1',
    'localhost.example.com', 'evil-localhost', 'sub.localhost', '127.0.0.1.nip.io', 'kgate.example.com', '',
  ])('%s is not', (host) => expect(isLoopbackHost(host)).toBe(false));
});

describe('checkServerUrl', () => {
  test.each([
    ['https://kgate.example.com', 'https://kgate.example.com'],
    ['https://kgate.example.com:8443/', 'https://kgate.example.com:8443'],
    ['http://127.0.0.1:8080', 'http://127.0.0.1:8080'],
    ['http://localhost:8080/', 'http://localhost:8080'],
    ['http://[::1]:8080', 'http://[::1]:8080'],
    // The URL parser normalises these spellings to 127.0.0.1 before the check.
    ['http://127.1:8080', 'http://127.1:8080'],
    ['http://0x7f000001:8080', 'http://0x7f000001:8080'],
  ])('accepts %s', (url, expected) => expect(checkServerUrl(url, '--server', false)).toBe(expected));

  test.each([
    'http://10.0.0.1', 'http://10.0.0.1:8080/', 'http://kgate.example.com', 'http://0.0.0.0:8080', 'http://[::]:80', 'http://[fe80::1]:80',
    'http://localhost.example.com', 'http://127.0.0.1.nip.io', 'HTTP://10.0.0.1',
  ])('refuses plain http to another machine: %s', (url) => {
    expect(() => checkServerUrl(url, 'KGATE_SERVER', false)).toThrow(expect.objectContaining({
      code: 'KGATE_INSECURE_SERVER_URL',
      exit: 2,
      message: expect.stringMatching(/^Refusing plain http to the policy service at .+ \(KGATE_SERVER\): your login token would cross the network unencrypted$/),
      suggestions: expect.arrayContaining([expect.stringContaining('--insecure-http-server or KGATE_INSECURE_HTTP_SERVER=1')]),
    }));
  });

  test('allows it when told so, by a name that says insecure', () => {
    expect(checkServerUrl('http://10.0.0.1:8080', '--server', true)).toBe('http://10.0.0.1:8080');
  });

  test.each(['kgate.example.com', 'ftp://kgate.example.com', 'file:///etc/passwd', 'https://user:pw@kgate.example.com', ''])('refuses %j as a usage error', (url) => {
    expect(() => checkServerUrl(url, '--server', true)).toThrow(expect.objectContaining({ code: 'KGATE_USAGE', exit: 2 }));
  });

  test('never echoes credentials in a URL', () => {
    expect(() => checkServerUrl('https://user:hunter2@kgate.example.com', '--server', false)).toThrow(expect.not.objectContaining({ message: expect.stringContaining('hunter2') }));
  });
});

describe('insecureHttpAllowed', () => {
  test.each([
    [true, {}, true],
    [false, {}, false],
    [undefined, { KGATE_INSECURE_HTTP_SERVER: '1' }, true],
    [undefined, { KGATE_INSECURE_HTTP_SERVER: 'true' }, true],
    [undefined, { KGATE_INSECURE_HTTP_SERVER: ' TRUE ' }, true],
    [undefined, { KGATE_INSECURE_HTTP_SERVER: '0' }, false],
    [undefined, { KGATE_INSECURE_HTTP_SERVER: '' }, false],
    [undefined, { KGATE_INSECURE_HTTP_SERVER: 'yes please' }, false],
  ])('flag %j, env %j → %j', (flag, env, expected) => expect(insecureHttpAllowed(flag, env)).toBe(expected));
});

describe('checkListenAddress', () => {
  test.each([
    ['127.0.0.1', false, false],
    ['::1', false, false],
    ['localhost', false, false],
    ['0.0.0.0', true, false],
    ['10.0.0.5', true, false],
    ['0.0.0.0', false, true],
    ['::', false, true],
  ])('listening on %s with tls=%j, insecure=%j is allowed', (host, tls, insecure) => {
    expect(() => checkListenAddress(host, tls, insecure)).not.toThrow();
  });

  test.each(['0.0.0.0', '::', '10.0.0.5', 'kgate.internal'])('plain HTTP on %s is refused', (host) => {
    expect(() => checkListenAddress(host, false, false)).toThrow(expect.objectContaining({
      code: 'KGATE_INSECURE_LISTEN',
      exit: 2,
      suggestions: expect.arrayContaining([expect.stringContaining('--insecure-listen-http')]),
    }));
  });
});
