import { allowedHosts, DEFAULT_LISTENER_LIMITS, guardRequest, isLoopbackAddress, type GuardedRequest } from '../../../../src/broker/listener/guard.js';
import { sessionTokenVerifier } from '../../../../src/broker/listener/session-token.js';

const TOKEN = 'the-session-token';
const PORT = 4443;
const verify = sessionTokenVerifier([TOKEN]);

function request(headers: Record<string, string | string[]>, overrides: Partial<GuardedRequest> = {}): GuardedRequest {
  const rawHeaders: string[] = [];
  for (const [name, value] of Object.entries(headers)) for (const v of [value].flat()) rawHeaders.push(name, v);
  return { method: 'GET', rawHeaders, remoteAddress: '127.0.0.1', localPort: PORT, ...overrides };
}

const good = { Host: `127.0.0.1:${PORT}`, Authorization: `Bearer ${TOKEN}` };

function refusal(req: GuardedRequest) {
  const verdict = guardRequest(req, verify);
  if (verdict.allowed) throw new Error('expected a refusal');
  return { code: verdict.refusal.code, status: JSON.parse(verdict.refusal.body) as { kind: string; code: number; reason?: string; message: string } };
}

describe('guardRequest', () => {
  it.each([
    ['127.0.0.1', `127.0.0.1:${PORT}`],
    ['::1', `[::1]:${PORT}`],
    ['::ffff:127.0.0.1', `localhost:${PORT}`],
    ['127.0.0.1', `LOCALHOST:${PORT}`],
  ])('admits a request from %s with Host %s and the token', (remoteAddress, host) => {
    const verdict = guardRequest(request({ ...good, Host: host, 'Content-Type': 'application/json', 'Content-Length': '12' }, { remoteAddress, method: 'POST' }), verify);
    expect(verdict).toEqual({ allowed: true, token: TOKEN });
  });

  it('accepts the bearer scheme in any case', () => {
    expect(guardRequest(request({ ...good, Authorization: `bearer ${TOKEN}` }), verify).allowed).toBe(true);
  });

  it.each<[string, Record<string, string | string[]>, Partial<GuardedRequest>, number, string | undefined, RegExp]>([
    ['no Authorization', { Host: good.Host }, {}, 401, 'Unauthorized', /^Unauthorized$/],
    ['a wrong token', { ...good, Authorization: 'Bearer nope' }, {}, 401, 'Unauthorized', /^Unauthorized$/],
    ['the token as Basic', { ...good, Authorization: `Basic ${TOKEN}` }, {}, 401, 'Unauthorized', /^Unauthorized$/],
    ['two Authorization headers', { ...good, Authorization: [`Bearer ${TOKEN}`, `Bearer ${TOKEN}`] }, {}, 401, 'Unauthorized', /^Unauthorized$/],
    ['a token with a prefix', { ...good, Authorization: `Bearer x${TOKEN}` }, {}, 401, 'Unauthorized', /^Unauthorized$/],
    ['a remote address off loopback', good, { remoteAddress: '10.0.0.5' }, 403, 'Forbidden', /only clients on this machine/],
    ['no remote address', good, { remoteAddress: undefined }, 403, 'Forbidden', /only clients on this machine/],
    ['no Host', { Authorization: good.Authorization }, {}, 400, 'BadRequest', /exactly one Host/],
    ['two Host headers', { ...good, Host: [good.Host, good.Host] }, {}, 400, 'BadRequest', /exactly one Host/],
    ['a rebinding Host name', { ...good, Host: `evil.example:${PORT}` }, {}, 421, undefined, /does not name this listener/],
    ['the right address on another port', { ...good, Host: `127.0.0.1:${PORT + 1}` }, {}, 421, undefined, /does not name this listener/],
    ['a Host without port', { ...good, Host: '127.0.0.1' }, {}, 421, undefined, /does not name this listener/],
    ['another loopback address', { ...good, Host: `127.0.0.2:${PORT}` }, {}, 421, undefined, /does not name this listener/],
    ['an Origin header', { ...good, Origin: 'https://evil.example' }, {}, 403, 'Forbidden', /Origin header/],
    ['an empty Origin header', { ...good, Origin: '' }, {}, 403, 'Forbidden', /Origin header/],
    ['Origin: null', { ...good, Origin: 'null' }, {}, 403, 'Forbidden', /Origin header/],
    ['Sec-Fetch-Site cross-site', { ...good, 'Sec-Fetch-Site': 'cross-site' }, {}, 403, 'Forbidden', /Sec-Fetch-Site/],
    ['Sec-Fetch-Site same-site', { ...good, 'Sec-Fetch-Site': 'same-site' }, {}, 403, 'Forbidden', /Sec-Fetch-Site/],
    ['a form body', { ...good, 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': '3' }, { method: 'POST' }, 415, 'UnsupportedMediaType', /application\/x-www-form-urlencoded/],
    ['a multipart body', { ...good, 'Content-Type': 'multipart/form-data; boundary=x' }, { method: 'POST' }, 415, 'UnsupportedMediaType', /multipart\/form-data/],
    ['a text/plain body', { ...good, 'Content-Type': 'Text/Plain;charset=UTF-8' }, { method: 'PATCH' }, 415, 'UnsupportedMediaType', /text\/plain/],
    ['a body over the limit', { ...good, 'Content-Length': String(DEFAULT_LISTENER_LIMITS.maxBodyBytes + 1) }, { method: 'POST' }, 413, 'RequestEntityTooLarge', /^Request entity too large: limit is 3145728$/],
    ['a garbled Content-Length', { ...good, 'Content-Length': '12abc' }, { method: 'POST' }, 400, 'BadRequest', /Content-Length/],
    ['too many header fields', { ...good, ...Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`X-H${i}`, 'v'])) }, {}, 431, undefined, /more than 100 header fields/],
    ['too many header bytes', { ...good, 'X-Big': 'a'.repeat(17_000) }, {}, 431, undefined, /more than 16384 bytes/],
  ])('refuses %s', (_name, headers, overrides, code, reason, message) => {
    const { code: httpCode, status } = refusal(request(headers, overrides));
    expect(httpCode).toBe(code);
    expect(status).toMatchObject({ kind: 'Status', code });
    expect(status.reason).toBe(reason);
    expect(status.message).toMatch(message);
  });

  it('checks the browser signals before the token, so a page never learns whether a token works', () => {
    expect(refusal(request({ ...good, Origin: 'https://evil.example' })).code).toBe(403);
    expect(refusal(request({ Host: good.Host, Origin: 'https://evil.example' })).code).toBe(403);
  });

  it('takes limits from its caller', () => {
    const verdict = guardRequest(request({ ...good, 'Content-Length': '11' }, { method: 'POST' }), verify, { ...DEFAULT_LISTENER_LIMITS, maxBodyBytes: 10 });
    expect(verdict.allowed).toBe(false);
  });
});

describe('isLoopbackAddress and allowedHosts', () => {
  it.each([['127.0.0.1', true], ['127.8.9.10', true], ['::1', true], ['::ffff:127.0.0.1', true], ['::ffff:10.0.0.1', false], ['10.0.0.1', false], ['0.0.0.0', false], ['::', false], [undefined, false]])('%s → %s', (address, expected) => {
    expect(isLoopbackAddress(address)).toBe(expected);
  });

  it('names the three loopback spellings with the port', () => {
    expect(allowedHosts(80)).toEqual(['127.0.0.1:80', '[::1]:80', 'localhost:80']);
  });
});
