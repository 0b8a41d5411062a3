import { describe, expect, it } from '@jest/globals';
import { defaultUsernameTemplate, findAccessEntry, mapIdentity, renderTemplate, type AccessEntry } from '../../../../sim/kube/auth/access-entries.js';
import { EksTokenAuthenticator } from '../../../../sim/kube/auth/eks-token.js';
import { EksTokenError, parseEksToken } from '../../../../sim/kube/auth/eks-token-format.js';
import { canonicalizeArn, identityFrom, parseCallerIdentity, type AwsIdentity } from '../../../../sim/kube/auth/sts-caller-identity.js';

const STS_HOST = '127.0.0.1:4443';
const SIGNED_AT = Date.UTC(2026, 0, 2, 3, 4, 5);
const AMZ_DATE = '20260102T030405Z';

function query(overrides: Record<string, string | undefined> = {}): string {
  const params: Record<string, string | undefined> = {
    Action: 'GetCallerIdentity',
    Version: '2011-06-15',
    'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
    'X-Amz-Credential': 'ASIAEXAMPLE/20260102/us-east-1/sts/aws4_request',
    'X-Amz-Date': AMZ_DATE,
    'X-Amz-Expires': '60',
    'X-Amz-SignedHeaders': 'host;x-k8s-aws-id',
    'X-Amz-Signature': 'abc123',
    ...overrides,
  };
  return Object.entries(params)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v!)}`)
    .join('&');
}

function token(url: string): string {
  return `k8s-aws-v1.${Buffer.from(url).toString('base64url')}`;
}

const valid = token(`https://${STS_HOST}/?${query()}`);

describe('parseEksToken', () => {
  it('accepts a well-formed presigned GetCallerIdentity token', () => {
    const parsed = parseEksToken(valid, [STS_HOST], SIGNED_AT + 60_000);
    expect(parsed).toEqual({ url: `https://${STS_HOST}/?${query()}`, host: STS_HOST, accessKeyId: 'ASIAEXAMPLE', expiresAt: SIGNED_AT + 15 * 60_000 });
  });

  const rejects: [string, string, RegExp][] = [
    ['wrong prefix', `k8s-aws-v2.${valid.slice(11)}`, /missing expected "k8s-aws-v1." prefix/],
    ['padded base64', `${valid}=`, /illegal base64 data/],
    ['standard base64 alphabet', `${valid.slice(0, 20)}+/${valid.slice(22)}`, /illegal base64 data/],
    ['too large', token(`https://${STS_HOST}/?${query({ 'X-Amz-Signature': 'a'.repeat(4000) })}`), /token is too large/],
    ['http scheme', token(`http://${STS_HOST}/?${query()}`), /unexpected scheme "http"/],
    ['wrong host', token(`https://sts.amazonaws.com/?${query()}`), /unexpected hostname "sts.amazonaws.com"/],
    ['same host, other port', token(`https://127.0.0.1:4444/?${query()}`), /unexpected hostname/],
    ['wrong path', token(`https://${STS_HOST}/x?${query()}`), /unexpected path/],
    ['non-whitelisted parameter', token(`https://${STS_HOST}/?${query()}&RoleArn=x`), /non-whitelisted query parameter "RoleArn"/],
    ['duplicate parameter (case-insensitive)', token(`https://${STS_HOST}/?${query()}&action=GetCallerIdentity`), /duplicate query parameter/],
    ['repeated parameter', token(`https://${STS_HOST}/?${query()}&Action=GetCallerIdentity`), /multiple values/],
    ['semicolon in query', token(`https://${STS_HOST}/?${query()};x=1`), /malformed query parameter/],
    ['other action', token(`https://${STS_HOST}/?${query({ Action: 'AssumeRole' })}`), /unexpected action parameter/],
    ['cluster id header not signed', token(`https://${STS_HOST}/?${query({ 'X-Amz-SignedHeaders': 'host' })}`), /did not sign the x-k8s-aws-id header/],
    ['expires out of range', token(`https://${STS_HOST}/?${query({ 'X-Amz-Expires': '901' })}`), /invalid X-Amz-Expires/],
    ['expires missing', token(`https://${STS_HOST}/?${query({ 'X-Amz-Expires': undefined })}`), /invalid X-Amz-Expires/],
    ['date missing', token(`https://${STS_HOST}/?${query({ 'X-Amz-Date': undefined })}`), /X-Amz-Date parameter must be present/],
    ['date malformed', token(`https://${STS_HOST}/?${query({ 'X-Amz-Date': '2026-01-02T03:04:05Z' })}`), /error parsing X-Amz-Date/],
  ];
  it.each(rejects)('rejects %s', (_name, candidate, message) => {
    expect(() => parseEksToken(candidate, [STS_HOST], SIGNED_AT + 60_000)).toThrow(message);
  });

  it('rejects a token 15 minutes after X-Amz-Date, however long X-Amz-Expires says', () => {
    expect(() => parseEksToken(valid, [STS_HOST], SIGNED_AT + 15 * 60_000)).not.toThrow();
    expect(() => parseEksToken(valid, [STS_HOST], SIGNED_AT + 15 * 60_000 + 1)).toThrow(/X-Amz-Date parameter is expired/);
    const error = (() => {
      try {
        parseEksToken(valid, [STS_HOST], SIGNED_AT + 16 * 60_000);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(EksTokenError);
    expect((error as EksTokenError).kind).toBe('format');
  });
});

describe('STS answers', () => {
  it('reads XML and JSON GetCallerIdentity results', () => {
    const xml = `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:sts::111122223333:assumed-role/r/grant-abc</Arn><UserId>AROAX:grant-abc</UserId><Account>111122223333</Account></GetCallerIdentityResult></GetCallerIdentityResponse>`;
    const json = JSON.stringify({ GetCallerIdentityResponse: { GetCallerIdentityResult: { Arn: 'arn:aws:iam::1:user/bob', UserId: 'AIDAB', Account: '1' } } });
    expect(parseCallerIdentity(xml, 'text/xml')).toEqual({ arn: 'arn:aws:sts::111122223333:assumed-role/r/grant-abc', userId: 'AROAX:grant-abc', account: '111122223333' });
    expect(parseCallerIdentity(json, 'application/json')).toEqual({ arn: 'arn:aws:iam::1:user/bob', userId: 'AIDAB', account: '1' });
    expect(() => parseCallerIdentity('<Error/>', 'text/xml')).toThrow(/sts getCallerIdentity failed/);
  });

  const arns: [string, string, string][] = [
    ['arn:aws:sts::1:assumed-role/Role/sess', 'assumed-role', 'arn:aws:iam::1:role/Role'],
    ['arn:aws:sts::1:assumed-role/team/Role/sess', 'assumed-role', 'arn:aws:iam::1:role/team/Role'],
    ['arn:aws:iam::1:role/Role', 'role', 'arn:aws:iam::1:role/Role'],
    ['arn:aws:iam::1:user/bob', 'user', 'arn:aws:iam::1:user/bob'],
    ['arn:aws:sts::1:federated-user/bob', 'federated-user', 'arn:aws:sts::1:federated-user/bob'],
  ];
  it.each(arns)('canonicalizes %s', (arn, type, canonical) => {
    expect(canonicalizeArn(arn)).toEqual({ principalType: type, canonicalArn: canonical });
  });

  it('refuses unknown partitions, services and malformed role user ids', () => {
    expect(() => canonicalizeArn('arn:foo:sts::1:assumed-role/R/s')).toThrow(/partition/);
    expect(() => canonicalizeArn('arn:aws:s3:::bucket')).toThrow(/unrecognized resource/);
    expect(() => identityFrom({ arn: 'arn:aws:sts::1:assumed-role/R/s', account: '1', userId: 'AROA' }, 'AK')).toThrow(/malformed UserID/);
  });
});

function identity(sessionName: string, canonicalArn = 'arn:aws:iam::111122223333:role/kgate-eks-access'): AwsIdentity {
  return {
    arn: `arn:aws:sts::111122223333:assumed-role/kgate-eks-access/${sessionName}`,
    canonicalArn,
    principalType: 'assumed-role',
    accountId: '111122223333',
    userId: 'AROAEXAMPLE',
    sessionName,
    accessKeyId: 'ASIAEXAMPLE',
  };
}

describe('access entries', () => {
  const templates: [string, string, string][] = [
    ['kgate:{{SessionName}}', 'grant-abc', 'kgate:grant-abc'],
    ['kgate:{{SessionName}}', 'alice@example.com', 'kgate:alice-example.com'],
    ['kgate:{{SessionNameRaw}}', 'alice@example.com', 'kgate:alice@example.com'],
    ['{{AccountID}}:{{SessionName}}', 's', '111122223333:s'],
    ['key-{{AccessKeyID}}', 's', 'key-ASIAEXAMPLE'],
    ['plain', 's', 'plain'],
  ];
  it.each(templates)('renders %s for session %s', (template, session, expected) => {
    expect(renderTemplate(template, identity(session))).toBe(expected);
  });

  it('defaults the username like EKS: assumed-role ARN without the role path, or the user ARN', () => {
    expect(defaultUsernameTemplate('arn:aws:iam::1:role/team/ci/Deployer')).toBe('arn:aws:sts::1:assumed-role/Deployer/{{SessionName}}');
    expect(defaultUsernameTemplate('arn:aws:iam::1:user/bob')).toBe('arn:aws:iam::1:user/bob');
    const entry: AccessEntry = { principalArn: 'arn:aws:iam::111122223333:role/kgate-eks-access' };
    expect(mapIdentity(entry, identity('grant-abc'))).toEqual({ username: 'arn:aws:sts::111122223333:assumed-role/kgate-eks-access/grant-abc', groups: [] });
  });

  it('finds the entry by role ARN, ignoring a path on either side', () => {
    const entries: AccessEntry[] = [
      { principalArn: 'arn:aws:iam::111122223333:role/other' },
      { principalArn: 'arn:aws:iam::111122223333:role/path/kgate-eks-access', username: 'kgate:{{SessionName}}', kubernetesGroups: ['kgate-grants', 'team-{{SessionName}}'] },
    ];
    const found = findAccessEntry(entries, identity('grant-abc'));
    expect(found).toBe(entries[1]);
    expect(mapIdentity(found!, identity('grant-abc'))).toEqual({ username: 'kgate:grant-abc', groups: ['kgate-grants', 'team-grant-abc'] });
    expect(findAccessEntry(entries, identity('x', 'arn:aws:iam::999:role/kgate-eks-access'))).toBeUndefined();
  });
});

describe('EksTokenAuthenticator', () => {
  it('ignores tokens that are not EKS tokens and refuses malformed ones without calling STS', async () => {
    const lines: string[] = [];
    const authenticator = new EksTokenAuthenticator({ clusterId: 'c', stsEndpoint: `https://${STS_HOST}`, now: () => SIGNED_AT, log: (l) => lines.push(l) });
    expect(await authenticator.authenticate('some-static-token')).toBeNull();
    expect(lines).toEqual([]);
    expect(await authenticator.authenticate(token(`https://evil.example/?${query()}`))).toBeNull();
    expect(lines).toEqual(['eks-token: refused: input token was not properly formatted: unexpected hostname "evil.example" in pre-signed URL']);
  });
});
