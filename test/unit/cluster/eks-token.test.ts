/**
 * The EKS token format, checked against the sim's SigV4 verifier (written from the AWS spec) and
 * the same format checks aws-iam-authenticator makes before it calls STS.
 */
import { describe, expect, it } from '@jest/globals';
import { EKS_TOKEN_LIFETIME_MS, decodeEksToken, defaultStsEndpoint, encodeEksToken, presignEksToken } from '../../../src/cluster/eks-token.js';
import { verifySigV4 } from '../../sim/aws/sigv4.js';
import { parseEksToken } from '../../sim/kube/auth/eks-token-format.js';

const credentials = { accessKeyId: 'AKIAEXAMPLEEXAMPLE00', secretAccessKey: 'c2VjcmV0LXNlY3JldC1zZWNyZXQ=' };
const now = Date.UTC(2030, 4, 6, 7, 8, 9, 999);

describe('encoding', () => {
  it('is k8s-aws-v1. plus unpadded base64url and round-trips', () => {
    const url = 'https://sts.us-east-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&a=~?>';
    const token = encodeEksToken(url);
    expect(token).toMatch(/^k8s-aws-v1\.[A-Za-z0-9_-]+$/);
    expect(token).not.toContain('=');
    expect(decodeEksToken(token)).toBe(url);
    expect(decodeEksToken('Bearer x')).toBeUndefined();
    expect(decodeEksToken('k8s-aws-v1.a+b/')).toBeUndefined();
  });

  it('uses the regional STS endpoint by default', () => {
    expect(defaultStsEndpoint('eu-west-1')).toBe('https://sts.eu-west-1.amazonaws.com');
    expect(defaultStsEndpoint('cn-north-1')).toBe('https://sts.cn-north-1.amazonaws.com.cn');
  });
});

describe('presigning', () => {
  it('signs GetCallerIdentity with x-k8s-aws-id, valid for 15 minutes from X-Amz-Date', async () => {
    const { token, expiresAt } = await presignEksToken({ credentials, region: 'us-east-1', stsEndpoint: 'https://127.0.0.1:8443', clusterName: 'prod', now });
    const signedAt = Math.floor(now / 1000) * 1000;
    expect(expiresAt).toBe(signedAt + EKS_TOKEN_LIFETIME_MS);

    const parsed = parseEksToken(token, ['127.0.0.1:8443'], now);
    expect(parsed).toMatchObject({ host: '127.0.0.1:8443', accessKeyId: credentials.accessKeyId, expiresAt });
    const url = new URL(parsed.url);
    expect(url.searchParams.get('X-Amz-Date')).toBe('20300506T070809Z');
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('host;x-k8s-aws-id');

    // What STS would see when the authenticator forwards it with the cluster header.
    const verify = (cluster: string) => verifySigV4(
      { method: 'GET', rawPath: '/', rawQuery: parsed.url.split('?')[1]!, headers: [['Host', '127.0.0.1:8443'], ['x-k8s-aws-id', cluster]], body: Buffer.alloc(0) },
      { service: 'sts', region: 'us-east-1', now, presignedLifetime: 'fifteen-minutes', lookup: (id) => (id === credentials.accessKeyId ? { secretAccessKey: credentials.secretAccessKey, principal: 'me' } : undefined) },
    );
    expect(verify('prod').principal).toBe('me');
    expect(() => verify('other-cluster')).toThrow(/signature/i);
    expect(() => parseEksToken(token, ['127.0.0.1:8443'], expiresAt + 1)).toThrow(/expired/);
  });

  it('carries the session token of temporary credentials', async () => {
    const { token } = await presignEksToken({ credentials: { ...credentials, sessionToken: 'IQo+session/token=' }, region: 'eu-west-1', clusterName: 'c', now });
    const url = new URL(decodeEksToken(token)!);
    expect(url.host).toBe('sts.eu-west-1.amazonaws.com');
    expect(url.searchParams.get('X-Amz-Security-Token')).toBe('IQo+session/token=');
  });
});
