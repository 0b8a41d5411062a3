import { describe, expect, it } from '@jest/globals';
import { awsError } from '../../../src/cluster/aws-errors.js';
import { ClusterError, upstreamMessage } from '../../../src/cluster/errors.js';
import { kubeError } from '../../../src/cluster/kube-errors.js';

/** Shaped like client-node's ApiException (code, body as the apiserver's Status text). */
const apiException = (code: number, status: object) => Object.assign(new Error(`HTTP-Code: ${code}\nBody: ...`), { code, body: JSON.stringify(status), headers: {} });

describe('Kubernetes errors', () => {
  it('keeps the Status message and a stable code', () => {
    const e = kubeError(apiException(403, { message: 'rolebindings is forbidden: User "kgate-server" cannot create' }), 'create RoleBinding prod/x');
    expect(e).toBeInstanceOf(ClusterError);
    expect(e).toMatchObject({ code: 'KGATE_CLUSTER_KUBE_FORBIDDEN', status: 403, message: 'create RoleBinding prod/x failed: rolebindings is forbidden: User "kgate-server" cannot create' });
    expect(kubeError(apiException(401, {}), 'list')).toMatchObject({ code: 'KGATE_CLUSTER_KUBE_UNAUTHORIZED', status: 401 });
    expect(kubeError(apiException(422, { message: 'invalid' }), 'create')).toMatchObject({ code: 'KGATE_CLUSTER_KUBE_ERROR', status: 422 });
  });

  it('reports network failures as unavailable', () => {
    const refused = Object.assign(new Error('request to https://127.0.0.1:1/ failed'), { cause: { code: 'ECONNREFUSED' } });
    expect(kubeError(refused, 'list RoleBindings')).toMatchObject({ code: 'KGATE_CLUSTER_UNAVAILABLE', exit: 6 });
  });
});

describe('AWS errors', () => {
  const sdkError = (name: string, message: string, status: number) => Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });

  it.each([
    ['AccessDenied', 403, 'KGATE_CLUSTER_AWS_DENIED'],
    ['ExpiredToken', 403, 'KGATE_CLUSTER_AWS_DENIED'],
    ['ResourceNotFoundException', 404, 'KGATE_CLUSTER_EKS_NOT_FOUND'],
    ['ThrottlingException', 400, 'KGATE_CLUSTER_AWS_ERROR'],
  ])('%s → %s', (name, status, expected) => {
    expect(awsError(sdkError(name, 'first line\n    at stack (x.js:1)', status), 'sts:AssumeRole')).toMatchObject({ code: expected, status, message: `sts:AssumeRole failed: ${name}: first line` });
  });

  it('names missing service credentials and unreachable endpoints', () => {
    expect(awsError(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }), 'sts:AssumeRole')).toMatchObject({ code: 'KGATE_CLUSTER_AWS_CREDENTIALS' });
    expect(awsError(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }), 'sts:AssumeRole on x')).toMatchObject({ code: 'KGATE_CLUSTER_UNAVAILABLE', message: 'Cannot reach sts:AssumeRole (ECONNREFUSED)' });
    expect(awsError(Object.assign(new Error('self-signed'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' }), 'eks:DescribeCluster c').suggestions[0]).toContain('caFile');
  });
});

describe('upstream messages', () => {
  it('cut tokens, signatures and everything after the first line', () => {
    const token = `k8s-aws-v1.${'A'.repeat(40)}`;
    const jwt = `eyJhbGciOiJSUzI1NiJ9.${'B'.repeat(30)}.${'C'.repeat(20)}`;
    const text = upstreamMessage(`bad ${token} and ${jwt} at https://sts/?X-Amz-Signature=abc&X-Amz-Security-Token=def\nstack`);
    expect(text).toBe('bad k8s-aws-v1.<redacted> and <redacted-jwt> at https://sts/?X-Amz-Signature=<redacted>&X-Amz-Security-Token=<redacted>');
    expect(upstreamMessage('x'.repeat(1000))).toHaveLength(301);
  });
});
