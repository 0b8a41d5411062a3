import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Flags } from '@oclif/core';
import { KgateCommand } from '../cli/base-command.js';
import { usageError } from '../cli/errors.js';
import { resolvePaths } from '../cli/paths.js';

/** What `kgate server --json` prints once it has stopped. */
export interface ServerResult {
  url: string;
  stoppedBy: string;
}

export default class Server extends KgateCommand<ServerResult> {
  static override summary = 'Run the kgate policy service: verify identities, decide grants, run approvals, mint grant-scoped credentials.';
  static override description = `Loads and validates the policy files, opens the SQLite store in the data directory, removes access left behind by grants that are no longer active (a crash never leaves access behind), then serves the JSON API until SIGINT or SIGTERM. Logs are JSON lines (pino) on stdout and never contain tokens.`;
  static override examples = [
    '<%= config.bin %> server --config policy.yaml --listen 127.0.0.1:8443 --tls-cert server.crt --tls-key server.key',
    '<%= config.bin %> server --config base.yaml --config clusters.yaml --data-dir /var/lib/kgate',
  ];

  static override flags = {
    config: Flags.string({ summary: 'Policy file (repeatable; later files add to earlier ones).', multiple: true, required: true }),
    'data-dir': Flags.string({ summary: 'Directory of the SQLite store (default: <state dir>/server).' }),
    listen: Flags.string({ summary: 'HOST:PORT to listen on (port 0 picks a free one).', default: '127.0.0.1:8080' }),
    'tls-cert': Flags.string({ summary: 'PEM certificate: serve HTTPS.', dependsOn: ['tls-key'] }),
    'tls-key': Flags.string({ summary: 'PEM private key of --tls-cert.', dependsOn: ['tls-cert'] }),
    'issuer-ca-file': Flags.string({ summary: 'Extra CA (PEM) trusted for the issuers\' discovery and JWKS (issuers may also name caFile in the policy).' }),
    'admin-kubeconfig': Flags.string({ summary: 'Kubeconfig used to manage bindings on EKS clusters instead of the service\'s own EKS identity.' }),
    'log-level': Flags.string({ summary: 'pino log level.', options: ['debug', 'info', 'warn', 'error'], default: 'info' }),
  };

  async run(): Promise<ServerResult> {
    const { flags } = await this.parse(Server);
    const listen = parseListen(flags.listen);
    const [{ loadPolicy }, { openSqliteStore }, { createClusterAdapter }, { startPolicyServer }, { createServerLogger }] = await Promise.all([
      import('../policy/schema/index.js'),
      import('../policy/store/sqlite.js'),
      import('../cluster/index.js'),
      import('../policy/server/server.js'),
      import('../policy/server/logger.js'),
    ]);
    const log = createServerLogger({ level: flags['log-level'] });
    const policy = await loadPolicy(flags.config);
    const dataDir = flags['data-dir'] ?? join(resolvePaths().state, 'server');
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    const store = openSqliteStore(join(dataDir, 'kgate.db'));
    const tls = flags['tls-cert'] ? { cert: await readFile(flags['tls-cert'], 'utf8'), key: await readFile(flags['tls-key']!, 'utf8') } : undefined;
    const caBundle = flags['issuer-ca-file'] ? await readFile(flags['issuer-ca-file'], 'utf8') : undefined;
    let server;
    try {
      server = await startPolicyServer({
        policy, store, listen, tls, caBundle, logger: log, stateDir: dataDir,
        clusters: (config) => createClusterAdapter(config, { log: log.child({ cluster: config.name }), adminKubeconfig: flags['admin-kubeconfig'] }),
      });
    } catch (error) {
      await store.close();
      throw error;
    }
    log.info({ url: server.url, dataDir, clusters: policy.clusters.map((c) => c.name) }, `kgate server listening on ${server.url}`);
    const stoppedBy = await new Promise<string>((resolve) => {
      process.once('SIGINT', () => resolve('SIGINT'));
      process.once('SIGTERM', () => resolve('SIGTERM'));
    });
    log.info({ signal: stoppedBy }, 'stopping');
    await server.close();
    await store.close();
    return { url: server.url, stoppedBy };
  }
}

/** `HOST:PORT`, `[::1]:PORT` or `:PORT`; loopback is the default host. */
export function parseListen(value: string): { host: string; port: number } {
  const match = /^(?:\[([0-9a-fA-F:]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(value);
  const port = Number(match?.[3]);
  if (!match || port > 65535) throw usageError(`--listen ${value} is not HOST:PORT`, ['Use e.g. 127.0.0.1:8443, [::1]:8443 or :8443.']);
  return { host: match[1] ?? (match[2] || '127.0.0.1'), port };
}
