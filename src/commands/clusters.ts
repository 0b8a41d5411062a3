import { KgateCommand } from '../cli/base-command.js';
import { resolvePaths } from '../cli/paths.js';
import { brokerPort } from '../broker/daemon/port.js';
import { clusterServerUrl } from '../broker/daemon/layout.js';
import { openPolicyClient, serverFlags } from '../policy/client-context.js';
import { clusterRows, type ClusterEntry } from '../policy/render-discovery.js';

export default class Clusters extends KgateCommand<ClusterEntry[]> {
  static override summary = 'List the clusters you may request a grant on: type, access mode, endpoint and templates.';
  static override description = 'Asks the policy service (clusters no template offers you are not listed). ACCESS says where the gate runs: gateway (in the policy service; ENDPOINT is the gateway URL) or broker (a broker on your machine; ENDPOINT is the local broker daemon kubectl contexts use). kgate templates shows what each template grants.';
  static override examples = ['<%= config.bin %> clusters', '<%= config.bin %> clusters --json'];
  static override flags = { ...serverFlags };

  async run(): Promise<ClusterEntry[]> {
    const { flags } = await this.parse(Clusters);
    const client = await openPolicyClient(flags);
    try {
      const port = await brokerPort(resolvePaths().state);
      const clusters = (await client.clusters()).map((c): ClusterEntry => ({
        name: c.name,
        type: c.type,
        access: c.access,
        endpoint: c.access === 'gateway' ? `${client.serverUrl}${c.gatewayPath ?? `/gateway/clusters/${c.name}`}` : port === undefined ? null : clusterServerUrl(port, c.name),
        templates: c.templates,
      }));
      if (clusters.length === 0) this.say('No cluster offers you a grant template.');
      else for (const line of clusterRows(clusters)) this.say(line);
      return clusters;
    } finally {
      await client.close();
    }
  }
}
