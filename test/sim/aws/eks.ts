/**
 * The simulated Amazon EKS control-plane API (REST-JSON over HTTPS): ListClusters and
 * DescribeCluster, SigV4-authenticated (service `eks`) against the account's directory.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BodyTooLarge, listenHttps, readBody, wireRequest, type AwsEndpointOptions, type Endpoint } from './https-server.js';
import { SigV4Error, splitTarget, verifySigV4, type SigV4ErrorCode } from './sigv4.js';

/** What a test registers about a cluster. */
export interface ClusterSpec {
  name: string;
  /** The apiserver URL, e.g. `https://127.0.0.1:6443`. */
  endpoint: string;
  /** The cluster CA: PEM text, or PEM already base64-encoded (as EKS returns it). */
  caData: string;
  /** Kubernetes minor version; default `1.32`. */
  version?: string;
  /** `identity.oidc.issuer`, when the cluster has one. */
  oidcIssuer?: string;
}

/** The simulated EKS API plus its cluster registry. */
export interface EksService extends Endpoint {
  addCluster(spec: ClusterSpec): void;
}

interface Cluster {
  spec: ClusterSpec;
  createdAt: number;
  suffix: string;
}

export type EksOptions = AwsEndpointOptions;

class EksError extends Error {
  constructor(readonly type: string, message: string, readonly status: number, readonly extra: Record<string, string> = {}) {
    super(message);
  }
}

/** The REST-JSON spelling of each SigV4 rejection, as AWS JSON services answer them. */
const AUTH_ERROR_TYPES: Record<SigV4ErrorCode, string> = {
  MissingAuthenticationToken: 'MissingAuthenticationTokenException',
  IncompleteSignature: 'IncompleteSignatureException',
  SignatureDoesNotMatch: 'InvalidSignatureException',
  InvalidClientTokenId: 'UnrecognizedClientException',
  ExpiredToken: 'ExpiredTokenException',
};

/** Starts EKS on an ephemeral loopback port. */
export async function startEks(opts: EksOptions): Promise<EksService> {
  const clusters = new Map<string, Cluster>();
  const endpoint = await listenHttps(opts.tls, (req, res) => serve(req, res, clusters, opts),
    (err) => opts.log(`eks: internal error ${String(err)}`));
  return {
    ...endpoint,
    addCluster: (spec) => {
      clusters.set(spec.name, { spec, createdAt: opts.now(), suffix: randomBytes(4).toString('hex').toUpperCase() });
    },
  };
}

async function serve(req: IncomingMessage, res: ServerResponse, clusters: Map<string, Cluster>, opts: EksOptions): Promise<void> {
  const requestId = randomUUID();
  let operation = 'Unknown';
  try {
    const body = await readBody(req);
    const route = routeOf(req);
    operation = route.operation;
    verifySigV4(wireRequest(req, body), {
      service: 'eks',
      region: opts.region,
      now: opts.now(),
      lookup: (id) => opts.directory.signingKey(id),
    });
    const answer = route.operation === 'ListClusters'
      ? { clusters: [...clusters.keys()].sort() }
      : { cluster: describe(route.name, clusters, opts) };
    opts.counters.count(`eks:${operation}`);
    send(res, 200, answer, requestId, opts.now());
  } catch (err) {
    const eksError = asEksError(err);
    opts.counters.count(`eks:${operation}:${eksError.type}`);
    opts.log(`eks: ${req.method} ${operation} rejected with ${eksError.type} (${eksError.status}): ${eksError.message.split('\n')[0]}`);
    send(res, eksError.status, { ...eksError.extra, message: eksError.message }, requestId, opts.now(), eksError.type);
  }
}

function routeOf(req: IncomingMessage): { operation: 'ListClusters' } | { operation: 'DescribeCluster'; name: string } {
  const segments = splitTarget(req.url ?? '/').rawPath.split('/').filter(Boolean);
  if (req.method === 'GET' && segments.length === 1 && segments[0] === 'clusters') return { operation: 'ListClusters' };
  if (req.method === 'GET' && segments.length === 2 && segments[0] === 'clusters') {
    try {
      return { operation: 'DescribeCluster', name: decodeURIComponent(segments[1]!) };
    } catch {
      throw new EksError('InvalidParameterException', 'The cluster name in the path is not valid.', 400);
    }
  }
  throw new EksError('UnknownOperationException', `The simulated EKS API does not serve ${req.method} ${splitTarget(req.url ?? '/').rawPath}.`, 404);
}

function describe(name: string, clusters: Map<string, Cluster>, opts: EksOptions): Record<string, unknown> {
  const cluster = clusters.get(name);
  if (!cluster) {
    throw new EksError('ResourceNotFoundException', `No cluster found for name: ${name}.`, 404, { clusterName: name });
  }
  const { spec } = cluster;
  const account = opts.directory.accountId;
  return {
    name: spec.name,
    arn: `arn:aws:eks:${opts.region}:${account}:cluster/${spec.name}`,
    createdAt: cluster.createdAt / 1000,
    version: spec.version ?? '1.32',
    endpoint: spec.endpoint,
    roleArn: `arn:aws:iam::${account}:role/eksClusterRole`,
    resourcesVpcConfig: {
      subnetIds: [],
      securityGroupIds: [],
      clusterSecurityGroupId: `sg-${cluster.suffix.toLowerCase()}`,
      vpcId: `vpc-${cluster.suffix.toLowerCase()}`,
      endpointPublicAccess: true,
      endpointPrivateAccess: false,
      publicAccessCidrs: ['0.0.0.0/0'],
    },
    kubernetesNetworkConfig: { serviceIpv4Cidr: '10.100.0.0/16', ipFamily: 'ipv4' },
    logging: { clusterLogging: [{ types: ['api', 'audit', 'authenticator', 'controllerManager', 'scheduler'], enabled: false }] },
    ...(spec.oidcIssuer ? { identity: { oidc: { issuer: spec.oidcIssuer } } } : {}),
    status: 'ACTIVE',
    certificateAuthority: { data: caDataOf(spec.caData) },
    platformVersion: 'eks.1',
    tags: {},
    health: { issues: [] },
    accessConfig: { authenticationMode: 'API' },
    upgradePolicy: { supportType: 'STANDARD' },
  };
}

function caDataOf(caData: string): string {
  return caData.trimStart().startsWith('-----BEGIN') ? Buffer.from(caData, 'utf8').toString('base64') : caData;
}

function asEksError(err: unknown): EksError {
  if (err instanceof EksError) return err;
  if (err instanceof SigV4Error) return new EksError(AUTH_ERROR_TYPES[err.code], err.message, err.status);
  if (err instanceof BodyTooLarge) return new EksError('InvalidRequestException', 'Request body is too large.', 413);
  return new EksError('ServerException', 'An internal error occurred.', 500);
}

function send(res: ServerResponse, status: number, body: unknown, requestId: string, now: number, errorType?: string): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-amzn-RequestId': requestId,
    ...(errorType ? { 'x-amzn-ErrorType': `${errorType}:http://internal.amazon.com/coral/com.amazonaws.eks/` } : {}),
    // SDKs correct their clock skew from this header, so it follows the sim's clock.
    date: new Date(now).toUTCString(),
  });
  res.end(text);
}
