/**
 * The simulated STS and EKS against the real AWS SDK v3 (endpoint overrides, a request handler
 * trusting the sim CA) and against raw HTTPS GETs of presigned URLs, as aws-iam-authenticator
 * performs them.
 */
import { Agent, createServer, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import {
  AssumeRoleCommand,
  AssumeRoleWithWebIdentityCommand,
  GetCallerIdentityCommand,
  STSClient,
  type STSClientConfig,
} from '@aws-sdk/client-sts';
import { DescribeClusterCommand, EKSClient, ListClustersCommand } from '@aws-sdk/client-eks';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { createSimTls, type SimTls } from '../../sim/tls.js';
import { startAws, type SimAws } from '../../sim/aws/index.js';
import { eksToken as mintEksToken } from '../../support/aws.js';

interface Creds { accessKeyId: string; secretAccessKey: string; sessionToken?: string }

let tls: SimTls;
let aws: SimAws;
let idp: { server: Server; issuer: string; key: CryptoKey };
let requestHandler: NodeHttpHandler;
let clockOffsetMs = 0;
const logLines: string[] = [];

/** A minimal OIDC issuer: discovery document and JWKS over HTTPS with the sim certificate. */
async function startIssuer(simTls: SimTls): Promise<typeof idp> {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  let issuer = '';
  const server = createServer({ cert: simTls.server.cert, key: simTls.server.key }, (req, res) => {
    const body = req.url === '/.well-known/openid-configuration'
      ? { issuer, jwks_uri: `${issuer}/jwks`, id_token_signing_alg_values_supported: ['ES256'] }
      : req.url === '/jwks' ? { keys: [jwk] } : undefined;
    res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' }).end(JSON.stringify(body ?? {}));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { server, issuer, key: privateKey };
}

function sts(credentials?: Creds, extra: Partial<STSClientConfig> = {}): STSClient {
  return new STSClient({
    region: aws.region,
    endpoint: aws.stsEndpoint,
    requestHandler,
    maxAttempts: 1,
    ...(credentials ? { credentials } : {}),
    ...extra,
  });
}

async function assumeRole(sessionName: string, extra: Partial<ConstructorParameters<typeof AssumeRoleCommand>[0]> = {}): Promise<Creds> {
  const out = await sts(aws.root).send(new AssumeRoleCommand({ RoleArn: aws.roleArn, RoleSessionName: sessionName, ...extra }));
  const c = out.Credentials!;
  return { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };
}

/** An EKS token as kgate mints it (test/support/aws.ts), for this test's account. */
function eksToken(creds: Creds, cluster: string, opts: { signingDate?: Date; expiresIn?: number } = {}): Promise<string> {
  return mintEksToken(aws, creds, cluster, opts);
}

/** What the apiserver does with an EKS token: decode it and GET the URL with the cluster header. */
async function redeem(token: string, cluster: string, accept = 'application/json'): Promise<{ status: number; contentType: string; body: string }> {
  const presigned = Buffer.from(token.slice('k8s-aws-v1.'.length), 'base64url').toString('utf8');
  return new Promise((resolve, reject) => {
    const req = request(presigned, { ca: tls.ca.cert, headers: { 'x-k8s-aws-id': cluster, accept, 'user-agent': 'Go-http-client/1.1' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, contentType: String(res.headers['content-type']), body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function webIdentityToken(claims: { aud?: string; sub?: string; expiresIn?: string | number; iss?: string } = {}): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
    .setIssuer(claims.iss ?? idp.issuer)
    .setSubject(claims.sub ?? 'repo:acme/app:ref:refs/heads/main')
    .setAudience(claims.aud ?? 'sts.amazonaws.com')
    .setIssuedAt(Math.floor(Date.now() / 1000) - 60)
    .setExpirationTime(claims.expiresIn ?? '5m')
    .sign(idp.key);
}

async function rejection(p: Promise<unknown>): Promise<{ name: string; message: string; status: number | undefined }> {
  try {
    await p;
  } catch (err) {
    const e = err as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode };
  }
  throw new Error('expected a rejection');
}

beforeAll(async () => {
  tls = await createSimTls();
  idp = await startIssuer(tls);
  aws = await startAws({
    tls,
    webIdentityIssuers: [{ issuer: idp.issuer }],
    log: (line) => logLines.push(line),
    now: () => Date.now() + clockOffsetMs,
  });
  requestHandler = new NodeHttpHandler({ httpsAgent: new Agent({ ca: tls.ca.cert }) });
  aws.addCluster({ name: 'demo', endpoint: 'https://127.0.0.1:6443', caData: tls.ca.cert });
});

afterAll(async () => {
  requestHandler?.destroy();
  await aws?.close();
  await new Promise((resolve) => idp?.server.close(resolve));
});

afterEach(() => {
  clockOffsetMs = 0;
});

describe('STS through the real SDK', () => {
  it('AssumeRole with the base keys yields temporary credentials whose caller is the assumed role', async () => {
    const out = await sts(aws.root).send(new AssumeRoleCommand({
      RoleArn: aws.roleArn,
      RoleSessionName: 'grant-g1',
      DurationSeconds: 900,
      SourceIdentity: 'alice@example.com',
      Tags: [{ Key: 'kgate-grant', Value: 'g1' }],
    }));
    expect(out.Credentials?.AccessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
    expect(out.Credentials?.SessionToken?.length).toBeGreaterThan(100);
    expect(out.Credentials!.Expiration!.getTime() - Date.now()).toBeGreaterThan(890_000);
    expect(out.Credentials!.Expiration!.getTime() - Date.now()).toBeLessThanOrEqual(900_000);
    expect(out.AssumedRoleUser?.Arn).toBe('arn:aws:sts::111122223333:assumed-role/kgate-eks-access/grant-g1');
    expect(out.AssumedRoleUser?.AssumedRoleId).toMatch(/^AROA[A-Z2-7]{17}:grant-g1$/);
    expect(out.SourceIdentity).toBe('alice@example.com');

    const temp = out.Credentials!;
    const who = await sts({ accessKeyId: temp.AccessKeyId!, secretAccessKey: temp.SecretAccessKey!, sessionToken: temp.SessionToken! })
      .send(new GetCallerIdentityCommand({}));
    expect(who).toMatchObject({
      Account: '111122223333',
      Arn: 'arn:aws:sts::111122223333:assumed-role/kgate-eks-access/grant-g1',
      UserId: out.AssumedRoleUser!.AssumedRoleId,
    });
    const session = aws.sessions().find((s) => s.accessKeyId === temp.AccessKeyId);
    expect(session).toMatchObject({ sourceIdentity: 'alice@example.com', tags: [{ key: 'kgate-grant', value: 'g1' }], via: 'AssumeRole' });
  });

  it('GetCallerIdentity with the base keys names the IAM user', async () => {
    const who = await sts(aws.root).send(new GetCallerIdentityCommand({}));
    expect(who.Arn).toBe('arn:aws:iam::111122223333:user/kgate-sim-admin');
    expect(who.UserId).toMatch(/^AIDA/);
  });

  it('rejects an invalid RoleSessionName, a too long duration and an untrusting role', async () => {
    const badName = await rejection(sts(aws.root).send(new AssumeRoleCommand({ RoleArn: aws.roleArn, RoleSessionName: 'grant/1' })));
    expect(badName).toMatchObject({ name: 'ValidationError', status: 400 });
    expect(badName.message).toMatch(/roleSessionName.*regular expression pattern/);
    const tooLong = await rejection(sts(aws.root).send(new AssumeRoleCommand({ RoleArn: aws.roleArn, RoleSessionName: 'grant-1', DurationSeconds: 50_000 })));
    expect(tooLong).toMatchObject({ name: 'ValidationError' });
    const other = aws.addRole({ name: 'someone-else', trustedPrincipals: ['arn:aws:iam::111122223333:user/nobody'] });
    const denied = await rejection(sts(aws.root).send(new AssumeRoleCommand({ RoleArn: other, RoleSessionName: 'grant-1' })));
    expect(denied).toMatchObject({ name: 'AccessDenied', status: 403 });
    const missing = await rejection(sts(aws.root).send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::111122223333:role/missing', RoleSessionName: 'grant-1' })));
    expect(missing).toMatchObject({ name: 'AccessDenied' });
  });

  it('rejects unknown keys and a wrong secret', async () => {
    const unknown = await rejection(sts({ accessKeyId: 'AKIAUNKNOWNUNKNOWN00', secretAccessKey: 'x' }).send(new GetCallerIdentityCommand({})));
    expect(unknown).toMatchObject({ name: 'InvalidClientTokenId', status: 403 });
    const wrong = await rejection(sts({ ...aws.root, secretAccessKey: 'wrong' }).send(new GetCallerIdentityCommand({})));
    expect(wrong).toMatchObject({ name: 'SignatureDoesNotMatch', status: 403 });
  });

  it('answers ExpiredToken once temporary credentials have expired', async () => {
    const temp = await assumeRole('grant-expiring', { DurationSeconds: 900 });
    clockOffsetMs = 16 * 60_000;
    const expired = await rejection(sts(temp, { systemClockOffset: clockOffsetMs }).send(new GetCallerIdentityCommand({})));
    expect(expired).toMatchObject({ name: 'ExpiredToken', status: 403 });
  });
});

describe('EKS tokens redeemed like aws-iam-authenticator', () => {
  it('a presigned GetCallerIdentity with x-k8s-aws-id returns the assumed-role ARN (JSON and XML)', async () => {
    const temp = await assumeRole('grant-g2');
    const token = await eksToken(temp, 'demo');
    expect(token).toMatch(/^k8s-aws-v1\.[A-Za-z0-9_-]+$/);
    const json = await redeem(token, 'demo');
    expect(json.status).toBe(200);
    expect(json.contentType).toBe('application/json');
    const result = JSON.parse(json.body).GetCallerIdentityResponse.GetCallerIdentityResult;
    expect(result).toMatchObject({ Account: '111122223333', Arn: 'arn:aws:sts::111122223333:assumed-role/kgate-eks-access/grant-g2' });
    expect(result.UserId).toMatch(/^AROA[A-Z2-7]{17}:grant-g2$/);

    const xml = await redeem(token, 'demo', '*/*');
    expect(xml.status).toBe(200);
    expect(xml.body).toContain('<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">');
    expect(xml.body).toContain('<Arn>arn:aws:sts::111122223333:assumed-role/kgate-eks-access/grant-g2</Arn>');
  });

  it('rejects a tampered signature, another cluster and an expired URL with SignatureDoesNotMatch', async () => {
    const temp = await assumeRole('grant-g3');
    const token = await eksToken(temp, 'demo');
    const url = Buffer.from(token.slice(11), 'base64url').toString('utf8');
    const tampered = url.replace(/X-Amz-Signature=([0-9a-f])/, (_m, c: string) => `X-Amz-Signature=${c === 'a' ? 'b' : 'a'}`);
    const cases = [
      await redeem(`k8s-aws-v1.${Buffer.from(tampered).toString('base64url')}`, 'demo'),
      await redeem(token, 'other-cluster'),
      await redeem(await eksToken(temp, 'demo', { signingDate: new Date(Date.now() - 20 * 60_000), expiresIn: 60 }), 'demo'),
    ];
    for (const r of cases) {
      expect(r.status).toBe(403);
      expect(JSON.parse(r.body).Error).toMatchObject({ Code: 'SignatureDoesNotMatch', Type: 'Sender' });
    }
    expect(JSON.parse(cases[2]!.body).Error.Message).toMatch(/^Signature expired/);
  });

  it('answers errors as an STS ErrorResponse in XML by default', async () => {
    const temp = await assumeRole('grant-g4');
    const r = await redeem(await eksToken(temp, 'demo'), 'wrong', 'text/xml');
    expect(r.status).toBe(403);
    expect(r.contentType).toBe('text/xml');
    expect(r.body).toMatch(/<ErrorResponse xmlns="https:\/\/sts\.amazonaws\.com\/doc\/2011-06-15\/">\s*<Error>\s*<Type>Sender<\/Type>\s*<Code>SignatureDoesNotMatch<\/Code>/);
    expect(r.body).toMatch(/<RequestId>[0-9a-f-]{36}<\/RequestId>/);
  });
});

describe('EKS through the real SDK', () => {
  it('DescribeCluster returns the endpoint and the CA; an unknown cluster is ResourceNotFoundException', async () => {
    const temp = await assumeRole('grant-g5');
    const eks = new EKSClient({ region: aws.region, endpoint: aws.eksEndpoint, requestHandler, credentials: temp, maxAttempts: 1 });
    const { cluster } = await eks.send(new DescribeClusterCommand({ name: 'demo' }));
    expect(cluster).toMatchObject({
      name: 'demo',
      arn: 'arn:aws:eks:us-east-1:111122223333:cluster/demo',
      endpoint: 'https://127.0.0.1:6443',
      status: 'ACTIVE',
      accessConfig: { authenticationMode: 'API' },
    });
    expect(cluster!.createdAt).toBeInstanceOf(Date);
    expect(Buffer.from(cluster!.certificateAuthority!.data!, 'base64').toString('utf8')).toBe(tls.ca.cert);
    expect((await eks.send(new ListClustersCommand({}))).clusters).toEqual(['demo']);

    const missing = await rejection(eks.send(new DescribeClusterCommand({ name: 'nope' })));
    expect(missing).toMatchObject({ name: 'ResourceNotFoundException', status: 404 });
    expect(missing.message).toBe('No cluster found for name: nope.');

    const unsigned = await rejection(new EKSClient({ region: aws.region, endpoint: aws.eksEndpoint, requestHandler, maxAttempts: 1,
      credentials: { accessKeyId: 'AKIAUNKNOWNUNKNOWN00', secretAccessKey: 'x' } }).send(new DescribeClusterCommand({ name: 'demo' })));
    expect(unsigned).toMatchObject({ name: 'UnrecognizedClientException', status: 403 });
    expect(aws.stats()).toMatchObject({ 'eks:DescribeCluster': 1, 'eks:DescribeCluster:ResourceNotFoundException': 1 });
  });
});

describe('AssumeRoleWithWebIdentity', () => {
  it('exchanges a token from a trusted issuer for credentials', async () => {
    const out = await sts().send(new AssumeRoleWithWebIdentityCommand({
      RoleArn: aws.roleArn,
      RoleSessionName: 'ci-run-42',
      WebIdentityToken: await webIdentityToken(),
    }));
    expect(out.Credentials?.AccessKeyId).toMatch(/^ASIA/);
    expect(out.SubjectFromWebIdentityToken).toBe('repo:acme/app:ref:refs/heads/main');
    expect(out.Audience).toBe('sts.amazonaws.com');
    expect(out.Provider).toBe(`arn:aws:iam::111122223333:oidc-provider/${idp.issuer.slice('https://'.length)}`);
    expect(out.AssumedRoleUser?.Arn).toBe('arn:aws:sts::111122223333:assumed-role/kgate-eks-access/ci-run-42');
    const who = await sts({ accessKeyId: out.Credentials!.AccessKeyId!, secretAccessKey: out.Credentials!.SecretAccessKey!, sessionToken: out.Credentials!.SessionToken! })
      .send(new GetCallerIdentityCommand({}));
    expect(who.Arn).toBe(out.AssumedRoleUser?.Arn);
  });

  it('rejects a wrong audience, an expired token, an unknown issuer and an untrusting role', async () => {
    const call = async (token: string, roleArn = aws.roleArn) =>
      rejection(sts().send(new AssumeRoleWithWebIdentityCommand({ RoleArn: roleArn, RoleSessionName: 'ci-run', WebIdentityToken: token })));
    expect(await call(await webIdentityToken({ aud: 'someone-else' }))).toMatchObject({ name: 'InvalidIdentityTokenException', status: 400, message: 'Incorrect token audience' });
    expect(await call(await webIdentityToken({ expiresIn: Math.floor(Date.now() / 1000) - 10 }))).toMatchObject({ name: 'ExpiredTokenException', status: 400 });
    expect(await call(await webIdentityToken({ iss: 'https://127.0.0.1:1' }))).toMatchObject({ name: 'InvalidIdentityTokenException' });
    const untrusting = aws.addRole({ name: 'no-federation' });
    expect(await call(await webIdentityToken(), untrusting)).toMatchObject({ name: 'AccessDenied', status: 403 });
    expect(logLines.some((l) => l.includes('AssumeRoleWithWebIdentity rejected with InvalidIdentityToken'))).toBe(true);
  });
});
