/**
 * Maps what the AWS SDK threw to a {@link ClusterError}: the AWS error name and the first line of
 * its message (ARNs, never credentials), or the network code when AWS was not reached.
 */
import { ClusterError, ClusterErrorCode, networkCode, unavailable, upstreamMessage } from './errors.js';

const DENIED = new Set([
  'AccessDenied', 'AccessDeniedException', 'InvalidClientTokenId', 'SignatureDoesNotMatch', 'IncompleteSignature',
  'ExpiredToken', 'ExpiredTokenException', 'UnrecognizedClientException', 'InvalidSignatureException',
  'MissingAuthenticationToken', 'MissingAuthenticationTokenException', 'RegionDisabledException',
]);

/**
 * @param error what the SDK threw
 * @param what the call, for the message, e.g. `sts:AssumeRole on arn:…` or `eks:DescribeCluster prod`
 */
export function awsError(error: unknown, what: string): ClusterError {
  if (error instanceof ClusterError) return error;
  const e = (error ?? {}) as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  const name = String(e.name ?? 'Error');
  if (name === 'CredentialsProviderError') {
    return new ClusterError(ClusterErrorCode.AwsCredentials, `The policy service has no AWS credentials for ${what}: ${upstreamMessage(e.message)}`, {
      suggestions: ['Give the service an AWS identity (instance/pod role, AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY).'],
    });
  }
  const net = status === undefined ? networkCode(error) : undefined;
  if (net) return unavailable(what.split(' ')[0]!, net);
  const message = `${what} failed: ${name}: ${upstreamMessage(e.message)}`;
  if (DENIED.has(name)) {
    return new ClusterError(ClusterErrorCode.AwsDenied, message, {
      ...(status !== undefined ? { status } : {}),
      suggestions: ['Check that the role trusts the service identity (sts:AssumeRole, sts:TagSession, sts:SetSourceIdentity).'],
    });
  }
  if (name === 'ResourceNotFoundException') {
    return new ClusterError(ClusterErrorCode.EksClusterNotFound, message, { ...(status !== undefined ? { status } : {}), suggestions: ['Check clusterName and region of the cluster in the policy.'] });
  }
  return new ClusterError(ClusterErrorCode.AwsError, message, status !== undefined ? { status } : {});
}
