import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as client from 'openid-client';
import { createRemoteJWKSet, customFetch as joseCustomFetch, decodeProtectedHeader, jwtVerify } from 'jose';
import type { JWTPayload } from 'jose';
import { Agent, fetch as undiciFetch } from 'undici';
import { createSimTls } from '../../sim/tls.js';
import type { SimTls } from '../../sim/tls.js';
import { startIdp } from '../../sim/idp/provider.js';
import type { PersonName, SimIdp } from '../../sim/idp/provider.js';
import { startGhaIssuer } from '../../sim/idp/github-actions.js';
import type { GhaIssuer } from '../../sim/idp/github-actions.js';
import { approveDevice, authorize, SignInFailedError, SignInRefusedError } from '../../sim/idp/person.js';

let tls: SimTls;
let idp: SimIdp;
let gha: GhaIssuer;
let agent: Agent;
const logLines: string[] = [];

// openid-client and jose take a fetch; this one trusts the sim CA and nothing else.
const caFetch = ((url: string, options: object) => undiciFetch(url, { ...options, dispatcher: agent })) as unknown as client.CustomFetch;

beforeAll(async () => {
  tls = await createSimTls();
  agent = new Agent({ connect: { ca: tls.ca.cert } });
  idp = await startIdp({ tls, log: (line) => logLines.push(line) });
  gha = await startGhaIssuer({ tls });
});

afterAll(async () => {
  await idp?.close();
  await gha?.close();
  await agent?.close();
});

function discover(clientId: string, auth: client.ClientAuth): Promise<client.Configuration> {
  return client.discovery(new URL(idp.issuer), clientId, undefined, auth, { [client.customFetch]: caFetch });
}

function cliConfig(): Promise<client.Configuration> {
  return discover(idp.cliClientId, client.None());
}

function machineConfig(name: 'ci-deployer' | 'mcp-agent', secret = idp.machines[name].clientSecret): Promise<client.Configuration> {
  return discover(name, client.ClientSecretBasic(secret));
}

async function verifyAccessToken(token: string): Promise<JWTPayload> {
  const jwks = createRemoteJWKSet(new URL(idp.jwksUri), { [joseCustomFetch]: caFetch as never });
  const { payload } = await jwtVerify(token, jwks, { issuer: idp.issuer, audience: 'kgate', typ: 'at+jwt' });
  return payload;
}

/** A loopback redirect receiver on a random port, as a native app runs it (RFC 8252 §7.3). */
async function startLoopback(host = '127.0.0.1'): Promise<{ redirectUri: string; received: Promise<URL>; close(): Promise<void> }> {
  let resolve!: (url: URL) => void;
  const received = new Promise<URL>((r) => { resolve = r; });
  const server: Server = createServer((req, res) => {
    resolve(new URL(req.url ?? '/', `http://${host}:${(server.address() as AddressInfo).port}`));
    res.end('You may close this window.');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    redirectUri: `http://${host}:${port}/callback`,
    received,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

async function loginWithCode(config: client.Configuration, person: PersonName, scope = 'openid profile groups offline_access') {
  const loopback = await startLoopback();
  try {
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const authorizationUrl = client.buildAuthorizationUrl(config, {
      redirect_uri: loopback.redirectUri,
      scope,
      // offline_access is honoured only with prompt=consent (OIDC Core §11).
      prompt: 'consent',
      state,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    const redirect = await authorize({
      authorizationUrl: authorizationUrl.href,
      username: person,
      password: idp.people[person].password,
      ca: tls.ca.cert,
    });
    expect(redirect.startsWith(`${loopback.redirectUri}?`)).toBe(true);
    await undiciFetch(redirect);
    const callbackUrl = await loopback.received;
    return await client.authorizationCodeGrant(config, callbackUrl, { pkceCodeVerifier: verifier, expectedState: state });
  } finally {
    await loopback.close();
  }
}

async function loginWithDevice(config: client.Configuration, person: PersonName, viaCompleteUri = false) {
  const device = await client.initiateDeviceAuthorization(config, { scope: 'openid profile groups offline_access' });
  const controller = new AbortController();
  const polling = client.pollDeviceAuthorizationGrant(config, device, undefined, { signal: controller.signal });
  polling.catch(() => {});
  try {
    await approveDevice({
      verificationUri: viaCompleteUri ? device.verification_uri_complete! : device.verification_uri,
      userCode: viaCompleteUri ? undefined : device.user_code,
      username: person,
      password: idp.people[person].password,
      ca: tls.ca.cert,
    });
    return await polling;
  } finally {
    controller.abort();
  }
}

async function grantError(promise: Promise<unknown>): Promise<string | undefined> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  // A 401 (invalid_client) arrives as a WWW-Authenticate challenge, other errors in the body.
  if (error instanceof client.WWWAuthenticateChallengeError) return error.cause[0]?.parameters.error;
  expect(error).toBeInstanceOf(client.ResponseBodyError);
  return (error as client.ResponseBodyError).error;
}

describe('company IdP (oidc-provider)', () => {
  test('client credentials: a JWT access token for kgate with the machine as subject and its groups', async () => {
    const before = idp.stats().grants.client_credentials ?? 0;
    const tokens = await client.clientCredentialsGrant(await machineConfig('ci-deployer'));
    expect(decodeProtectedHeader(tokens.access_token)).toMatchObject({ alg: 'RS256', typ: 'at+jwt' });
    const claims = await verifyAccessToken(tokens.access_token);
    expect(claims).toMatchObject({ sub: 'ci-deployer', client_id: 'ci-deployer', groups: ['ci'], iss: idp.issuer, aud: 'kgate' });
    expect(tokens.refresh_token).toBeUndefined();

    const agentClaims = await verifyAccessToken((await client.clientCredentialsGrant(await machineConfig('mcp-agent'))).access_token);
    expect(agentClaims).toMatchObject({ sub: 'mcp-agent', groups: ['agents'] });
    expect(idp.stats().grants.client_credentials).toBe(before + 2);

    // JWT access tokens are self-contained: oidc-provider neither introspects nor revokes them.
    expect(await grantError(client.tokenIntrospection(await machineConfig('ci-deployer'), tokens.access_token)))
      .toBe('unsupported_token_type');
  });

  test('client credentials with a wrong secret is refused', async () => {
    expect(await grantError(client.clientCredentialsGrant(await machineConfig('ci-deployer', 'not-the-secret')))).toBe('invalid_client');
  });

  test('authorization code + PKCE on a loopback redirect with a random port', async () => {
    const tokens = await loginWithCode(await cliConfig(), 'alice');
    expect(tokens.claims()).toMatchObject({
      iss: idp.issuer,
      aud: 'kgate-cli',
      sub: idp.people.alice.sub,
      preferred_username: 'alice',
      name: idp.people.alice.name,
      groups: ['sre'],
    });
    const access = await verifyAccessToken(tokens.access_token);
    expect(access).toMatchObject({ sub: idp.people.alice.sub, client_id: 'kgate-cli', groups: ['sre'], preferred_username: 'alice' });
    expect(tokens.refresh_token).toEqual(expect.any(String));
  });

  test('the loopback redirect may also be http://localhost with any port; other redirects are refused', async () => {
    const config = await cliConfig();
    const loopback = await startLoopback('localhost');
    const params = {
      scope: 'openid',
      code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    };
    try {
      const redirect = await authorize({
        authorizationUrl: client.buildAuthorizationUrl(config, { ...params, redirect_uri: loopback.redirectUri }).href,
        username: 'bob',
        password: idp.people.bob.password,
        ca: tls.ca.cert,
      });
      expect(new URL(redirect).searchParams.get('code')).toEqual(expect.any(String));
      expect(redirect.startsWith(loopback.redirectUri)).toBe(true);
    } finally {
      await loopback.close();
    }
    await expect(authorize({
      authorizationUrl: client.buildAuthorizationUrl(config, { ...params, redirect_uri: 'http://127.0.0.1:8000/elsewhere' }).href,
      username: 'bob',
      password: idp.people.bob.password,
      ca: tls.ca.cert,
    })).rejects.toThrow(SignInFailedError);
  });

  test('PKCE is required for the public client', async () => {
    const config = await cliConfig();
    await expect(authorize({
      authorizationUrl: client.buildAuthorizationUrl(config, { redirect_uri: 'http://127.0.0.1:9/callback', scope: 'openid' }).href,
      username: 'alice',
      password: idp.people.alice.password,
      ca: tls.ca.cert,
    }).then((redirect) => new URL(redirect).searchParams.get('error_description'))).resolves.toMatch(/PKCE/);
  });

  test('device flow completed by a person at the verification page', async () => {
    const before = idp.stats();
    const tokens = await loginWithDevice(await cliConfig(), 'bob');
    expect(tokens.claims()).toMatchObject({ sub: idp.people.bob.sub, preferred_username: 'bob', groups: ['dev'] });
    expect(await verifyAccessToken(tokens.access_token)).toMatchObject({ sub: idp.people.bob.sub, groups: ['dev'] });
    expect(tokens.refresh_token).toEqual(expect.any(String));
    const after = idp.stats();
    expect(after.deviceAuthorizations).toBe(before.deviceAuthorizations + 1);
    expect(after.grants['urn:ietf:params:oauth:grant-type:device_code']).toBe((before.grants['urn:ietf:params:oauth:grant-type:device_code'] ?? 0) + 1);
  });

  test('device flow through verification_uri_complete', async () => {
    const tokens = await loginWithDevice(await cliConfig(), 'carol', true);
    expect(tokens.claims()).toMatchObject({ preferred_username: 'carol', groups: ['sre-leads'] });
  });

  test('refresh tokens rotate; a used refresh token is rejected (and ends the grant)', async () => {
    const config = await cliConfig();
    const first = await loginWithCode(config, 'alice');
    const before = idp.stats().grants.refresh_token ?? 0;
    const second = await client.refreshTokenGrant(config, first.refresh_token!);
    expect(second.refresh_token).toEqual(expect.any(String));
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(second.access_token).not.toBe(first.access_token);
    expect(await verifyAccessToken(second.access_token)).toMatchObject({ sub: idp.people.alice.sub, groups: ['sre'] });
    expect(second.claims()).toMatchObject({ sub: idp.people.alice.sub, groups: ['sre'] });
    expect(idp.stats().grants.refresh_token).toBe(before + 1);

    expect(await grantError(client.refreshTokenGrant(config, first.refresh_token!))).toBe('invalid_grant');
    // Reuse of a rotated token is treated as theft: the whole grant is revoked.
    expect(await grantError(client.refreshTokenGrant(config, second.refresh_token!))).toBe('invalid_grant');
    expect(idp.stats().grants.refresh_token).toBe(before + 1);
    expect(idp.stats().grantErrors.refresh_token).toBeGreaterThanOrEqual(2);
  });

  test('a revoked refresh token is rejected', async () => {
    const config = await cliConfig();
    const tokens = await loginWithDevice(config, 'bob');
    expect(await client.tokenIntrospection(config, tokens.refresh_token!))
      .toMatchObject({ active: true, sub: idp.people.bob.sub, client_id: 'kgate-cli' });
    await client.tokenRevocation(config, tokens.refresh_token!, { token_type_hint: 'refresh_token' });
    expect(await client.tokenIntrospection(config, tokens.refresh_token!)).toEqual({ active: false });
    expect(await grantError(client.refreshTokenGrant(config, tokens.refresh_token!))).toBe('invalid_grant');
  });

  test('a wrong password shows the login form again with 401, and the flow does not complete', async () => {
    const config = await cliConfig();
    const authorizationUrl = client.buildAuthorizationUrl(config, {
      redirect_uri: 'http://127.0.0.1:9/callback',
      scope: 'openid',
      code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    });
    const refusal = await authorize({ authorizationUrl: authorizationUrl.href, username: 'alice', password: 'bob-password', ca: tls.ca.cert })
      .then(() => undefined, (e: unknown) => e);
    expect(refusal).toBeInstanceOf(SignInRefusedError);
    expect(refusal).toMatchObject({ status: 401, reason: 'Invalid username or password.' });
    expect(logLines.some((l) => l.includes('login refused for "alice"'))).toBe(true);

    const device = await client.initiateDeviceAuthorization(config, { scope: 'openid' });
    await expect(approveDevice({
      verificationUri: device.verification_uri,
      userCode: device.user_code,
      username: 'mallory',
      password: 'guess',
      ca: tls.ca.cert,
    })).rejects.toMatchObject({ status: 401 });
  });

  test('denying consent returns access_denied to the client; aborting a device ends its polling', async () => {
    const config = await cliConfig();
    const redirect = await authorize({
      authorizationUrl: client.buildAuthorizationUrl(config, {
        redirect_uri: 'http://127.0.0.1:9/callback',
        scope: 'openid',
        code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
        code_challenge_method: 'S256',
      }).href,
      username: 'carol',
      password: idp.people.carol.password,
      ca: tls.ca.cert,
      decision: 'deny',
    });
    expect(new URL(redirect).searchParams.get('error')).toBe('access_denied');

    const device = await client.initiateDeviceAuthorization(config, { scope: 'openid' });
    await approveDevice({
      verificationUri: device.verification_uri,
      userCode: device.user_code,
      username: 'carol',
      password: idp.people.carol.password,
      ca: tls.ca.cert,
      decision: 'deny',
    });
    expect(await grantError(client.pollDeviceAuthorizationGrant(config, device))).toBe('access_denied');
  });

  test('an unknown user code is refused at the verification page', async () => {
    await expect(approveDevice({
      verificationUri: `${idp.issuer}/device`,
      userCode: 'BCDF-GHJK',
      username: 'alice',
      password: idp.people.alice.password,
      ca: tls.ca.cert,
    })).rejects.toThrow(/incorrect/);
  });
});

describe('GitHub-Actions-like issuer', () => {
  async function requestIdToken(audience: string | undefined, authorization?: string) {
    const url = audience === undefined ? gha.requestUrl : `${gha.requestUrl}&audience=${encodeURIComponent(audience)}`;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (authorization !== undefined) headers.authorization = authorization;
    return undiciFetch(url, { headers, dispatcher: agent });
  }

  async function verifyIdToken(token: string, audience: string): Promise<JWTPayload> {
    const jwks = createRemoteJWKSet(new URL(gha.jwksUri), { [joseCustomFetch]: caFetch as never });
    return (await jwtVerify(token, jwks, { issuer: gha.issuer, audience, algorithms: ['RS256'] })).payload;
  }

  test('a job gets a token for the audience it asks for, verifiable with the published JWKS', async () => {
    expect(gha.requestUrl).toContain('?api-version=2.0');
    const response = await requestIdToken('kgate', `bearer ${gha.requestToken}`);
    expect(response.status).toBe(200);
    const body = await response.json() as { count: number; value: string };
    expect(body.count).toBe(body.value.length);
    expect(decodeProtectedHeader(body.value)).toMatchObject({ alg: 'RS256', typ: 'JWT', kid: expect.any(String) });
    const claims = await verifyIdToken(body.value, 'kgate');
    expect(claims).toMatchObject({
      sub: 'repo:acme/deploy:ref:refs/heads/main',
      repository: 'acme/deploy',
      repository_owner: 'acme',
      ref: 'refs/heads/main',
      job_workflow_ref: 'acme/deploy/.github/workflows/deploy.yml@refs/heads/main',
      run_attempt: '1',
      event_name: 'push',
      jti: expect.any(String),
    });
    expect(claims.exp! - claims.iat!).toBeGreaterThanOrEqual(300);
    expect(claims.exp! - claims.iat!).toBeLessThanOrEqual(600);

    const discovery = await (await undiciFetch(`${gha.issuer}/.well-known/openid-configuration`, { dispatcher: agent })).json();
    expect(discovery).toMatchObject({ issuer: gha.issuer, jwks_uri: gha.jwksUri, id_token_signing_alg_values_supported: ['RS256'] });
  });

  test('without an audience the token is for the repository owner, as on GitHub', async () => {
    const response = await requestIdToken(undefined, `Bearer ${gha.requestToken}`);
    const { value } = await response.json() as { value: string };
    expect((await verifyIdToken(value, 'https://github.com/acme')).aud).toBe('https://github.com/acme');
  });

  test('a missing or wrong bearer token is refused with 401', async () => {
    expect((await requestIdToken('kgate')).status).toBe(401);
    expect((await requestIdToken('kgate', 'bearer not-the-token')).status).toBe(401);
    expect((await requestIdToken('kgate', `Basic ${gha.requestToken}`)).status).toBe(401);
  });

  test('an environment shapes the subject', async () => {
    const staged = await startGhaIssuer({ tls, claims: { environment: 'production' } });
    try {
      const response = await undiciFetch(`${staged.requestUrl}&audience=kgate`, {
        headers: { authorization: `bearer ${staged.requestToken}` },
        dispatcher: agent,
      });
      const { value } = await response.json() as { value: string };
      const jwks = createRemoteJWKSet(new URL(staged.jwksUri), { [joseCustomFetch]: caFetch as never });
      const { payload } = await jwtVerify(value, jwks, { issuer: staged.issuer, audience: 'kgate' });
      expect(payload).toMatchObject({ sub: 'repo:acme/deploy:environment:production', environment: 'production' });
    } finally {
      await staged.close();
    }
  });
});
