import { SignatureV4 } from '@smithy/signature-v4';
import {
  canonicalQuery,
  canonicalUri,
  parseRawQuery,
  SigV4Error,
  verifySigV4,
  type SigningKey,
  type VerifyOptions,
  type WireRequest,
} from '../../../sim/aws/sigv4.js';
import { NodeSha256 } from '../../../sim/aws/sha256.js';

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const HOST = '127.0.0.1:8443';
const USER = { accessKeyId: 'AKIAEXAMPLEUSER00001', secretAccessKey: 'user-secret' };
const TEMP = { accessKeyId: 'ASIAEXAMPLETEMP00001', secretAccessKey: 'temp-secret', sessionToken: 'session-token-1' };

const KEYS: Record<string, SigningKey<string>> = {
  [USER.accessKeyId]: { secretAccessKey: USER.secretAccessKey, principal: 'user' },
  [TEMP.accessKeyId]: { secretAccessKey: TEMP.secretAccessKey, sessionToken: TEMP.sessionToken, expiresAt: NOW + 3600_000, principal: 'temp' },
};

function options(over: Partial<VerifyOptions<string>> = {}): VerifyOptions<string> {
  return { service: 'sts', region: 'us-east-1', now: NOW, lookup: (id) => KEYS[id], ...over };
}

interface Unsigned {
  method: string;
  path: string;
  query?: Record<string, string | string[]>;
  headers?: Record<string, string>;
  body?: string;
}

function signer(creds: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }, service = 'sts', region = 'us-east-1', applyChecksum = true): SignatureV4 {
  return new SignatureV4({ credentials: creds, region, service, sha256: NodeSha256, applyChecksum });
}

function smithyRequest(u: Unsigned): Parameters<SignatureV4['sign']>[0] & object {
  return {
    method: u.method,
    protocol: 'https:',
    hostname: '127.0.0.1',
    port: 8443,
    path: u.path,
    query: u.query ?? {},
    headers: { host: HOST, ...u.headers },
    ...(u.body !== undefined ? { body: u.body } : {}),
  } as never;
}

/** The request as node-http-handler would put it on the wire. */
function toWire(signed: { method: string; path: string; query?: Record<string, unknown>; headers: Record<string, string>; body?: unknown }): WireRequest {
  const query = Object.entries(signed.query ?? {}).flatMap(([k, v]) =>
    (Array.isArray(v) ? v : [v]).map((x) => `${encode(k)}=${encode(String(x))}`));
  return {
    method: signed.method,
    rawPath: signed.path,
    rawQuery: query.join('&'),
    headers: Object.entries(signed.headers),
    body: Buffer.from(typeof signed.body === 'string' ? signed.body : ''),
  };
}

function encode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

async function headerSigned(u: Unsigned, opts: { creds?: typeof USER | typeof TEMP; at?: number; service?: string; region?: string; checksum?: boolean } = {}): Promise<WireRequest> {
  const signed = await signer(opts.creds ?? USER, opts.service, opts.region, opts.checksum).sign(smithyRequest(u), { signingDate: new Date(opts.at ?? NOW) });
  return toWire(signed as never);
}

async function presigned(u: Unsigned, opts: { creds?: typeof USER | typeof TEMP; at?: number; expiresIn?: number } = {}): Promise<WireRequest> {
  const signed = await signer(opts.creds ?? USER).presign(smithyRequest(u), { signingDate: new Date(opts.at ?? NOW), expiresIn: opts.expiresIn ?? 60 });
  return toWire(signed as never);
}

const FORM = {
  method: 'POST',
  path: '/',
  headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
  body: 'Action=GetCallerIdentity&Version=2011-06-15',
};
const PRESIGN_GCI = {
  method: 'GET',
  path: '/',
  query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
  headers: { 'x-k8s-aws-id': 'demo' },
};

function withHeader(req: WireRequest, name: string, value: string): WireRequest {
  return { ...req, headers: [...req.headers.filter(([k]) => k.toLowerCase() !== name), [name, value]] };
}

function withQueryParam(req: WireRequest, name: string, value: string): WireRequest {
  const pairs = req.rawQuery.split('&').filter((p) => !p.startsWith(`${name}=`));
  return { ...req, rawQuery: [...pairs, `${name}=${encode(value)}`].join('&') };
}

describe('verifySigV4 accepts correctly signed requests', () => {
  // Every row has all four cells: jest treats a missing trailing argument as a `done` callback.
  const accepted: [string, () => Promise<WireRequest>, string, Partial<VerifyOptions<string>>][] = [
    ['header-signed form POST', () => headerSigned(FORM), 'user', {}],
    ['header-signed form POST without x-amz-content-sha256', () => headerSigned(FORM, { checksum: false }), 'user', {}],
    ['header-signed with a session token', () => headerSigned(FORM, { creds: TEMP }), 'temp', {}],
    ['presigned GET with a signed x-k8s-aws-id', () => presigned(PRESIGN_GCI), 'user', {}],
    ['presigned GET with temporary credentials', () => presigned(PRESIGN_GCI, { creds: TEMP }), 'temp', {}],
    ['presigned GET plus unsigned headers added afterwards', async () =>
      withHeader(withHeader(await presigned(PRESIGN_GCI), 'accept', 'application/json'), 'user-agent', 'Go-http-client/1.1'), 'user', {}],
    ['an encoded path segment (double encoding)', () => headerSigned({ method: 'GET', path: '/clusters/my%20cluster%2Fx' }, { service: 'eks' }), 'user',
      { service: 'eks' }],
    ['dot segments and empty segments in the path', () => headerSigned({ method: 'GET', path: '/a/./b/../c//d' }), 'user', {}],
    ['query with reserved characters and repeated keys', () =>
      headerSigned({ method: 'GET', path: '/', query: { 'b key': ['z', 'a b', '~*'], a: 'x/y+z=' } }), 'user', {}],
    ['header values with inner runs of spaces', () =>
      headerSigned({ ...FORM, headers: { ...FORM.headers, 'x-amz-meta': '  a   b \t c  ' } }), 'user', {}],
    ['presigned five minutes old under the STS fifteen-minute rule', () =>
      presigned(PRESIGN_GCI, { at: NOW - 5 * 60_000, expiresIn: 60 }), 'user', { presignedLifetime: 'fifteen-minutes' }],
    ['header-signed ten minutes in the past', () => headerSigned(FORM, { at: NOW - 10 * 60_000 }), 'user', {}],
  ];
  it.each(accepted)('%s', async (_name, make, principal, over) => {
    const verified = verifySigV4(await make(), options(over));
    expect(verified.principal).toBe(principal);
  });

  it('matches the AWS SigV4 test suite vector get-vanilla', () => {
    const req: WireRequest = {
      method: 'GET',
      rawPath: '/',
      rawQuery: '',
      headers: [
        ['Host', 'example.amazonaws.com'],
        ['X-Amz-Date', '20150830T123600Z'],
        ['Authorization', 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31'],
      ],
      body: Buffer.alloc(0),
    };
    const verified = verifySigV4(req, {
      service: 'service',
      region: 'us-east-1',
      now: Date.UTC(2015, 7, 30, 12, 36),
      lookup: (id) => (id === 'AKIDEXAMPLE' ? { secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', principal: 'example' } : undefined),
    });
    expect(verified.principal).toBe('example');
  });
});

describe('verifySigV4 rejects', () => {
  const rejected: [string, () => Promise<WireRequest>, string, RegExp, Partial<VerifyOptions<string>>][] = [
    ['no authentication at all', async () => toWire({ method: 'POST', path: '/', headers: { host: HOST }, body: FORM.body }),
      'MissingAuthenticationToken', /missing Authentication Token/, {}],
    ['a tampered body (signed x-amz-content-sha256)', async () => ({ ...(await headerSigned(FORM)), body: Buffer.from('Action=AssumeRole&Version=2011-06-15') }),
      'SignatureDoesNotMatch', /x-amz-content-sha256' header does not match/, {}],
    ['a tampered body (no x-amz-content-sha256)', async () =>
      ({ ...(await headerSigned(FORM, { checksum: false })), body: Buffer.from('Action=AssumeRole&Version=2011-06-15') }),
    'SignatureDoesNotMatch', /does not match the signature you provided/, {}],
    ['a changed signed header', async () => withHeader(await presigned(PRESIGN_GCI), 'x-k8s-aws-id', 'other-cluster'),
      'SignatureDoesNotMatch', /Canonical String/, {}],
    ['a missing signed header', async () => {
      const req = await presigned(PRESIGN_GCI);
      return { ...req, headers: req.headers.filter(([k]) => k !== 'x-k8s-aws-id') };
    }, 'SignatureDoesNotMatch', /does not match/, {}],
    ['a tampered presigned signature', async () => {
      const req = await presigned(PRESIGN_GCI);
      return { ...req, rawQuery: req.rawQuery.replace(/X-Amz-Signature=([0-9a-f])/, (_m, c: string) => `X-Amz-Signature=${c === '0' ? '1' : '0'}`) };
    }, 'SignatureDoesNotMatch', /does not match/, {}],
    ['an added query parameter', async () => withQueryParam(await presigned(PRESIGN_GCI), 'Extra', '1'), 'SignatureDoesNotMatch', /does not match/, {}],
    ['a wrong secret', async () => toWire(await signer({ ...USER, secretAccessKey: 'nope' }).sign(smithyRequest(FORM), { signingDate: new Date(NOW) }) as never),
      'SignatureDoesNotMatch', /does not match/, {}],
    ['an unknown access key', async () => headerSigned(FORM, { creds: { accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey: 'x' } }),
      'InvalidClientTokenId', /security token included in the request is invalid/, {}],
    ['a wrong service scope', () => headerSigned(FORM, { service: 'eks' }), 'SignatureDoesNotMatch', /scoped to correct service: 'sts'/, {}],
    ['a wrong region scope', () => headerSigned(FORM, { region: 'eu-west-1' }), 'SignatureDoesNotMatch', /valid region, not 'eu-west-1'/, {}],
    ['a header-signed date 16 minutes old', () => headerSigned(FORM, { at: NOW - 16 * 60_000 }), 'SignatureDoesNotMatch', /Signature expired/, {}],
    ['a header-signed date 16 minutes ahead', () => headerSigned(FORM, { at: NOW + 16 * 60_000 }), 'SignatureDoesNotMatch', /not yet current/, {}],
    ['a presigned URL past X-Amz-Expires', () => presigned(PRESIGN_GCI, { at: NOW - 61_000, expiresIn: 60 }), 'SignatureDoesNotMatch', /Signature expired/, {}],
    ['a presigned URL 16 minutes old under the STS rule', () => presigned(PRESIGN_GCI, { at: NOW - 16 * 60_000, expiresIn: 3600 }),
      'SignatureDoesNotMatch', /Signature expired/, { presignedLifetime: 'fifteen-minutes' }],
    ['a presigned URL dated in the future', () => presigned(PRESIGN_GCI, { at: NOW + 20 * 60_000 }), 'SignatureDoesNotMatch', /not yet current/, {}],
    ['host not among the signed headers', async () => {
      const signed = await signer(USER).presign({ ...smithyRequest(PRESIGN_GCI), headers: { 'x-k8s-aws-id': 'demo' } } as never,
        { signingDate: new Date(NOW), expiresIn: 60 });
      return withHeader(toWire(signed as never), 'host', HOST);
    }, 'IncompleteSignature', /'Host' or ':authority' must be a 'SignedHeader'/, {}],
    ['a session token that does not match', async () => withHeader(await headerSigned(FORM, { creds: TEMP }), 'x-amz-security-token', 'forged'),
      'InvalidClientTokenId', /invalid/, {}],
    ['temporary keys without their session token', async () => {
      const req = await presigned(PRESIGN_GCI, { creds: TEMP });
      return { ...req, rawQuery: req.rawQuery.split('&').filter((p) => !p.startsWith('X-Amz-Security-Token=')).join('&') };
    }, 'InvalidClientTokenId', /invalid/, {}],
    ['a session token sent with long-term keys', async () => withHeader(await headerSigned(FORM), 'x-amz-security-token', 'x'),
      'InvalidClientTokenId', /invalid/, {}],
    ['expired temporary credentials', () => headerSigned(FORM, { creds: TEMP, at: NOW + 3600_000 }), 'ExpiredToken', /expired/,
      { now: NOW + 3600_000 }],
    ['an Authorization header without Signature', async () => {
      const req = await headerSigned(FORM);
      return { ...req, headers: req.headers.map(([k, v]) => [k, k === 'authorization' ? v.replace(/, Signature=.*$/, '') : v] as const) };
    }, 'IncompleteSignature', /requires 'Signature' parameter/, {}],
    ['an x-amz-content-sha256 that does not match the body', async () => withHeader(await headerSigned(FORM), 'x-amz-content-sha256', '0'.repeat(64)),
      'SignatureDoesNotMatch', /x-amz-content-sha256/, {}],
    ['both an Authorization header and query authentication', async () =>
      withHeader(await presigned(PRESIGN_GCI), 'authorization', 'AWS4-HMAC-SHA256 Credential=x'), 'IncompleteSignature', /Only one authentication method/, {}],
    ['a malformed X-Amz-Date', async () => withQueryParam(await presigned(PRESIGN_GCI), 'X-Amz-Date', '2026-01-15T12:00:00Z'),
      'IncompleteSignature', /ISO-8601/, {}],
    ['an unsupported algorithm', async () => withQueryParam(await presigned(PRESIGN_GCI), 'X-Amz-Algorithm', 'AWS4-ECDSA-P256-SHA256'),
      'IncompleteSignature', /Unsupported AWS 'algorithm'/, {}],
  ];
  it.each(rejected)('%s', async (_name, make, code, message, over) => {
    const req = await make();
    let caught: unknown;
    try {
      verifySigV4(req, options(over));
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(SigV4Error);
    expect((caught as SigV4Error).code).toBe(code);
    expect((caught as SigV4Error).status).toBe(403);
    expect((caught as SigV4Error).message).toMatch(message);
  });
});

describe('canonical forms', () => {
  it.each([
    ['/', '/'],
    ['', '/'],
    ['/clusters/my%20cluster', '/clusters/my%2520cluster'],
    ['/a/./b/../c//d/', '/a/c/d/'],
    ['/a:b@c', '/a%3Ab%40c'],
    ['/~_.-', '/~_.-'],
  ])('canonicalUri(%j) = %j', (raw, expected) => {
    expect(canonicalUri(raw)).toBe(expected);
  });

  it.each([
    ['Version=2011-06-15&Action=GetCallerIdentity', 'Action=GetCallerIdentity&Version=2011-06-15'],
    ['b=2&a=3&a=1', 'a=1&a=3&b=2'],
    ['k=a%20b&k2=%2A%21&k3', 'k=a%20b&k2=%2A%21&k3='],
    ['x=a+b', 'x=a%2Bb'],
    ['X-Amz-Signature=abc&A=1', 'A=1'],
  ])('canonicalQuery(%j) = %j', (raw, expected) => {
    expect(canonicalQuery(parseRawQuery(raw))).toBe(expected);
  });
});
