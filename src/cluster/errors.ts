/**
 * Typed errors of the cluster adapters. Whatever AWS or the Kubernetes API threw becomes one of
 * these with a stable code and a one-line message: no SDK stack, no request dump, never a token.
 */
import { ExitCode, KgateError } from '../cli/errors.js';

/** Stable codes; callers branch on these, never on messages. */
export const ClusterErrorCode = {
  /** A grant id, namespace or role name that would not be a safe object name or label. */
  InvalidName: 'KGATE_CLUSTER_INVALID_NAME',
  /** The cluster entry in the policy cannot work (bad template, unreadable kubeconfig or CA). */
  Config: 'KGATE_CLUSTER_CONFIG',
  /** The grant has ended (or never had an expiry); no credential or binding for it. */
  GrantEnded: 'KGATE_CLUSTER_GRANT_ENDED',
  /** The grant's binding (or ServiceAccount) does not exist yet: ensureAccess first. */
  NotBound: 'KGATE_CLUSTER_NOT_BOUND',
  /** A granted namespace does not exist in the cluster. */
  NamespaceNotFound: 'KGATE_CLUSTER_NAMESPACE_NOT_FOUND',
  /** The service has no usable AWS credentials of its own. */
  AwsCredentials: 'KGATE_CLUSTER_AWS_CREDENTIALS',
  /** AWS refused the service (AssumeRole not trusted, signature, expired credentials). */
  AwsDenied: 'KGATE_CLUSTER_AWS_DENIED',
  /** EKS does not know the cluster. */
  EksClusterNotFound: 'KGATE_CLUSTER_EKS_NOT_FOUND',
  /** AWS answered with another error. */
  AwsError: 'KGATE_CLUSTER_AWS_ERROR',
  /** The apiserver refused the service's own identity (401). */
  KubeUnauthorized: 'KGATE_CLUSTER_KUBE_UNAUTHORIZED',
  /** The service's own identity may not manage bindings there (403). */
  KubeForbidden: 'KGATE_CLUSTER_KUBE_FORBIDDEN',
  /** The apiserver answered with another error. */
  KubeError: 'KGATE_CLUSTER_KUBE_ERROR',
  /** AWS or the apiserver could not be reached (network, TLS, timeout). */
  Unavailable: 'KGATE_CLUSTER_UNAVAILABLE',
} as const;

export type ClusterErrorCode = (typeof ClusterErrorCode)[keyof typeof ClusterErrorCode];

const EXIT_BY_CODE: Partial<Record<ClusterErrorCode, ExitCode>> = {
  [ClusterErrorCode.InvalidName]: ExitCode.Usage,
  [ClusterErrorCode.Config]: ExitCode.Usage,
  [ClusterErrorCode.GrantEnded]: ExitCode.Denied,
  [ClusterErrorCode.Unavailable]: ExitCode.Unavailable,
};

/** An error of a cluster adapter; `status` is the upstream HTTP status when there was one. */
export class ClusterError extends KgateError {
  declare readonly code: ClusterErrorCode;
  readonly status: number | undefined;

  constructor(code: ClusterErrorCode, message: string, opts: { status?: number; suggestions?: readonly string[] } = {}) {
    super(message, { code, exit: EXIT_BY_CODE[code] ?? ExitCode.Error, suggestions: opts.suggestions ?? [] });
    this.name = 'ClusterError';
    this.status = opts.status;
  }
}

const MAX_UPSTREAM_MESSAGE = 300;

/** First line of an upstream message, capped, with anything token-shaped cut out. */
export function upstreamMessage(text: unknown): string {
  const line = String(text ?? '').split('\n', 1)[0]!.trim();
  const scrubbed = line
    .replace(/k8s-aws-v1\.[A-Za-z0-9_-]+/g, 'k8s-aws-v1.<redacted>')
    .replace(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, '<redacted-jwt>')
    .replace(/(X-Amz-(?:Signature|Security-Token|Credential)=)[^&\s]+/gi, '$1<redacted>');
  return scrubbed.length > MAX_UPSTREAM_MESSAGE ? `${scrubbed.slice(0, MAX_UPSTREAM_MESSAGE)}…` : scrubbed;
}

type Cause = { code?: unknown; name?: unknown; message?: unknown; cause?: unknown };

/** The Node network/TLS error code somewhere in a cause chain (ECONNREFUSED, CERT_…), if any. */
export function networkCode(error: unknown): string | undefined {
  let cause = error as Cause | undefined;
  for (let depth = 0; cause && depth < 6; depth += 1) {
    if (typeof cause.code === 'string' && /^(E[A-Z_]+|UND_ERR_[A-Z_]+|[A-Z_]*CERT[A-Z_]*|SELF_SIGNED[A-Z_]*|UNABLE_TO_[A-Z_]+)$/.test(cause.code)) {
      return cause.code;
    }
    if (cause.name === 'TimeoutError') return 'ETIMEDOUT';
    cause = cause.cause as Cause | undefined;
  }
  return undefined;
}

/** An unreachable endpoint, named by what it is (`STS`, `the apiserver of prod`), never its credentials. */
export function unavailable(what: string, code: string): ClusterError {
  return new ClusterError(ClusterErrorCode.Unavailable, `Cannot reach ${what} (${code})`, {
    suggestions: /CERT|SELF_SIGNED|UNABLE_TO/.test(code) ? ['Set caFile on the cluster in the policy when it uses a private CA.'] : ['Check the endpoint and the network, then retry.'],
  });
}
