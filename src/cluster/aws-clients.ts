/**
 * The AWS SDK clients of one EKS cluster entry: STS and EKS with the policy's endpoint overrides,
 * the extra CA (next to the system roots), and the service's own ambient credentials. The SDKs load
 * on first use.
 */
import { readFile } from 'node:fs/promises';
import type { EKSClient } from '@aws-sdk/client-eks';
import type { STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import type { ClusterConfig } from '../policy/types.js';
import { ClusterError, ClusterErrorCode } from './errors.js';
import { awsError } from './aws-errors.js';

export type EksClusterConfig = Extract<ClusterConfig, { type: 'eks' }>;

/** The base SDK client settings shared by STS and EKS. */
interface BaseConfig {
  region: string;
  credentials: AwsCredentialIdentityProvider;
  requestHandler?: unknown;
}

/** Lazily created SDK clients for one cluster entry. */
export class AwsClients {
  private base?: Promise<BaseConfig>;
  private stsClient?: Promise<STSClient>;
  private eksClient?: Promise<EKSClient>;

  /**
   * @param credentials the service's own identity; default the Node provider chain (env, profile,
   *   web identity, container and instance roles)
   */
  constructor(private readonly config: EksClusterConfig, private readonly credentials?: AwsCredentialIdentityProvider) {}

  /** STS client, signing with the service's own credentials. */
  sts(): Promise<STSClient> {
    this.stsClient ??= (async () => {
      const { STSClient } = await import('@aws-sdk/client-sts');
      return new STSClient({ ...(await this.baseConfig()), ...(this.config.stsEndpoint ? { endpoint: this.config.stsEndpoint } : {}) } as NonNullable<ConstructorParameters<typeof STSClient>[0]>);
    })();
    return this.stsClient;
  }

  /** EKS client, signing with the service's own credentials. */
  eks(): Promise<EKSClient> {
    this.eksClient ??= (async () => {
      const { EKSClient } = await import('@aws-sdk/client-eks');
      return new EKSClient({ ...(await this.baseConfig()), ...(this.config.eksEndpoint ? { endpoint: this.config.eksEndpoint } : {}) } as NonNullable<ConstructorParameters<typeof EKSClient>[0]>);
    })();
    return this.eksClient;
  }

  /** The service's own current credentials (resolved through the provider, which caches and refreshes). */
  async ownCredentials(): Promise<AwsCredentialIdentity> {
    const { credentials } = await this.baseConfig();
    try {
      return await credentials();
    } catch (error) {
      throw awsError(error, 'its own identity');
    }
  }

  /** Releases sockets of the clients created so far. */
  async close(): Promise<void> {
    const clients = await Promise.allSettled([this.stsClient, this.eksClient].filter((c) => c !== undefined));
    for (const c of clients) if (c.status === 'fulfilled') c.value.destroy();
    this.stsClient = undefined;
    this.eksClient = undefined;
  }

  private baseConfig(): Promise<BaseConfig> {
    this.base ??= (async () => {
      const credentials = this.credentials ?? (await import('@aws-sdk/credential-providers')).fromNodeProviderChain();
      const requestHandler = this.config.caFile ? await caRequestHandler(this.config.caFile) : undefined;
      return { region: this.config.region, credentials, ...(requestHandler ? { requestHandler } : {}) };
    })();
    this.base.catch(() => (this.base = undefined));
    return this.base;
  }
}

/** An SDK request handler trusting the system roots plus the CA in `caFile`. */
async function caRequestHandler(caFile: string): Promise<unknown> {
  const pem = await readCaFile(caFile);
  const [{ NodeHttpHandler }, { Agent }, { rootCertificates }] = await Promise.all([import('@smithy/node-http-handler'), import('node:https'), import('node:tls')]);
  return new NodeHttpHandler({ httpsAgent: new Agent({ ca: [...rootCertificates, pem], keepAlive: true }) });
}

/**
 * Reads a PEM CA bundle named in the policy.
 * @throws ClusterError KGATE_CLUSTER_CONFIG
 */
export async function readCaFile(caFile: string): Promise<string> {
  let pem: string;
  try {
    pem = await readFile(caFile, 'utf8');
  } catch (error) {
    throw new ClusterError(ClusterErrorCode.Config, `Cannot read the CA file ${caFile} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new ClusterError(ClusterErrorCode.Config, `The CA file ${caFile} holds no PEM certificate`);
  return pem;
}
