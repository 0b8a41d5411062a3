/**
 * The apiserver endpoint and CA of an EKS cluster, from DescribeCluster, cached: the cluster's
 * endpoint and CA change rarely, and minting a token must not cost an EKS call each time.
 */
import { awsError } from './aws-errors.js';
import type { AwsClients } from './aws-clients.js';

/** Where the cluster's apiserver is and which CA signs it (base64 PEM, as EKS returns it). */
export interface ClusterEndpoint {
  server: string;
  caData: string;
}

/** Default time a DescribeCluster answer is reused. */
export const CLUSTER_INFO_TTL_MS = 10 * 60_000;

interface Cached {
  endpoint: ClusterEndpoint;
  fetchedAt: number;
}

/** DescribeCluster behind a TTL cache that keeps serving the last answer when a refresh fails. */
export class EksClusterInfo {
  private cached?: Cached;
  private inFlight?: Promise<ClusterEndpoint>;

  constructor(
    private readonly aws: AwsClients,
    private readonly clusterName: string,
    private readonly opts: { now: () => number; warn: (fields: Record<string, unknown>, message: string) => void; ttlMs?: number },
  ) {}

  /** The cached endpoint, or a fresh DescribeCluster when the cache is empty, stale or invalidated. */
  async get(): Promise<ClusterEndpoint> {
    const ttl = this.opts.ttlMs ?? CLUSTER_INFO_TTL_MS;
    if (this.cached && this.opts.now() - this.cached.fetchedAt < ttl) return this.cached.endpoint;
    this.inFlight ??= this.refresh().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  /** Forgets the cached answer, e.g. after the apiserver could not be reached at that endpoint. */
  invalidate(): void {
    this.cached = undefined;
  }

  private async refresh(): Promise<ClusterEndpoint> {
    try {
      const endpoint = await this.describe();
      this.cached = { endpoint, fetchedAt: this.opts.now() };
      return endpoint;
    } catch (error) {
      const stale = this.cached?.endpoint;
      if (!stale) throw error;
      this.opts.warn({ cluster: this.clusterName, code: (error as { code?: string }).code }, 'DescribeCluster failed; using the last known endpoint');
      return stale;
    }
  }

  private async describe(): Promise<ClusterEndpoint> {
    const what = `eks:DescribeCluster ${this.clusterName}`;
    const [eks, { DescribeClusterCommand }] = await Promise.all([this.aws.eks(), import('@aws-sdk/client-eks')]);
    let cluster;
    try {
      ({ cluster } = await eks.send(new DescribeClusterCommand({ name: this.clusterName })));
    } catch (error) {
      throw awsError(error, what);
    }
    const server = cluster?.endpoint;
    const caData = cluster?.certificateAuthority?.data;
    if (!server || !caData) throw awsError({ name: 'IncompleteCluster', message: 'the cluster has no endpoint or CA yet (still creating?)' }, what);
    return { server, caData };
  }
}
