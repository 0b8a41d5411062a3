import type { ClusterAdapter } from '../../cluster/adapter.js';
import type { PolicyStore } from '../store/types.js';
import type { ClusterConfig, Policy } from '../types.js';
import type { Admission } from './admission.js';
import type { Authenticate } from './authenticate.js';
import type { ChangeFeed } from './change-feed.js';
import type { GatewayEvents } from './gateway-events.js';
import type { ServiceLogger } from './logger.js';
import type { ServiceAudit } from './service-audit.js';

/** Everything route handlers and the grant lifecycle share. */
export interface ServiceContext {
  policy: Policy;
  store: PolicyStore;
  feed: ChangeFeed;
  log: ServiceLogger;
  audit: ServiceAudit;
  authenticate: Authenticate;
  now: () => number;
  /** The write limits: pending requests, gateway credentials, audit and recording bytes. */
  admission: Admission;
  /** Grants and gateway credentials that ended, for the gateway to close their streams. */
  gatewayEvents: GatewayEvents;
  /** The adapter for a cluster named in the policy; throws for an unknown cluster. */
  adapterFor(cluster: string): ClusterAdapter;
}

/** Caches one adapter per policy cluster, made on first use. */
export function adapterRegistry(policy: Policy, clusters: Map<string, ClusterAdapter> | ((config: ClusterConfig) => ClusterAdapter)): {
  adapterFor(cluster: string): ClusterAdapter;
  close(): Promise<void>;
} {
  const made = new Map<string, ClusterAdapter>();
  return {
    adapterFor(cluster) {
      const existing = made.get(cluster);
      if (existing) return existing;
      const config = policy.clusters.find((c) => c.name === cluster);
      const adapter = clusters instanceof Map ? clusters.get(cluster) : config && clusters(config);
      if (!config || !adapter) throw new Error(`no cluster adapter for ${cluster}`);
      made.set(cluster, adapter);
      return adapter;
    },
    async close() {
      // Adapters passed in a Map belong to the caller; adapters the factory made belong to us.
      if (clusters instanceof Map) return;
      await Promise.all([...made.values()].map((a) => a.close().catch(() => undefined)));
    },
  };
}
