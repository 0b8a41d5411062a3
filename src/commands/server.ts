import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Flags } from '@oclif/core';
import { KgateCommand } from '../cli/base-command.js';
import { usageError } from '../cli/errors.js';
import { resolvePaths } from '../cli/paths.js';
import { checkListenAddress, INSECURE_LISTEN_HTTP_FLAG, isLoopbackHost } from '../cli/server-url.js';
import { tryParseDuration } from '../policy/duration.js';
import { DEFAULT_LIMITS, formatBytes, LimitsError, parseByteSize, resolveLimits, type ServiceLimits } from '../policy/server/limits.js';

/** What `kgate server --json` prints once it has stopped. */
export interface ServerResult {
  url: string;
  stoppedBy: string;
}

export default class Server extends KgateCommand<ServerResult> {
  static override summary = 'Run the kgate policy service: verify identities, decide grants, run approvals, mint grant-scoped credentials.';
  static override description = `Loads and validates the policy files, opens the SQLite store in the data directory, removes access left behind by grants that are no longer active (a crash never leaves access behind), then serves the JSON API until SIGINT or SIGTERM. Logs are JSON lines (pino) on stdout and never contain tokens.

Without --tls-cert and --tls-key it serves plain HTTP, and only on a loopback address (e.g. behind a TLS-terminating proxy on the same host) unless --insecure-listen-http says otherwise. The LIMITS flags bound what one caller may make the service store or keep open; past them it answers 413 or 429 (docs/server.md).`;
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
    [INSECURE_LISTEN_HTTP_FLAG]: Flags.boolean({ summary: 'Serve plain HTTP on a non-loopback address: callers\' tokens cross the network unencrypted.' }),
    'max-recording-size': Flags.string({ summary: `Largest exec recording a client may upload (default ${formatBytes(DEFAULT_LIMITS.maxRecordingBytes)}; e.g. 64Mi).`, helpGroup: 'LIMITS' }),
    'max-pending-requests': Flags.integer({ summary: `Requests one principal may have waiting for approval at once (default ${DEFAULT_LIMITS.maxPendingRequests}).`, min: 1, helpGroup: 'LIMITS' }),
    'max-gateway-credentials': Flags.integer({ summary: `Active gateway credentials per grant (default ${DEFAULT_LIMITS.maxGatewayCredentialsPerGrant}).`, min: 1, helpGroup: 'LIMITS' }),
    'audit-budget': Flags.string({ summary: `Audit event bytes one principal may send per --budget-window (default ${formatBytes(DEFAULT_LIMITS.auditBytesPerWindow)}).`, helpGroup: 'LIMITS' }),
    'recording-budget': Flags.string({ summary: `Recording bytes one principal may upload per --budget-window (default ${formatBytes(DEFAULT_LIMITS.recordingBytesPerWindow)}).`, helpGroup: 'LIMITS' }),
    'budget-window': Flags.string({ summary: 'The sliding window of the two budgets (default 1h).', helpGroup: 'LIMITS' }),
  };

  async run(): Promise<ServerResult> {
    const { flags } = await this.parse(Server);
    const listen = parseListen(flags.listen);
    checkListenAddress(listen.host, flags['tls-cert'] !== undefined, flags[INSECURE_LISTEN_HTTP_FLAG]);
    const limits = limitsOf(flags);
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
    // The store's own cap also covers the gateway's recordings: never below its default.
    const store = openSqliteStore(join(dataDir, 'kgate.db'), { maxRecordingBytes: Math.max(limits.maxRecordingBytes, DEFAULT_LIMITS.maxRecordingBytes) });
    const tls = flags['tls-cert'] ? { cert: await readFile(flags['tls-cert'], 'utf8'), key: await readFile(flags['tls-key']!, 'utf8') } : undefined;
    const caBundle = flags['issuer-ca-file'] ? await readFile(flags['issuer-ca-file'], 'utf8') : undefined;
    let server;
    try {
      server = await startPolicyServer({
        policy, store, listen, tls, caBundle, logger: log, stateDir: dataDir, limits,
        clusters: (config) => createClusterAdapter(config, { log: log.child({ cluster: config.name }), adminKubeconfig: flags['admin-kubeconfig'] }),
      });
    } catch (error) {
      await store.close();
      throw error;
    }
    if (!tls && !isLoopbackHost(listen.host)) log.warn({ listen: flags.listen }, 'serving plain HTTP beyond loopback (--insecure-listen-http): tokens cross the network unencrypted');
    log.info({ url: server.url, dataDir, clusters: policy.clusters.map((c) => c.name), limits }, `kgate server listening on ${server.url}`);
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

type LimitFlags = Partial<Record<'max-recording-size' | 'audit-budget' | 'recording-budget' | 'budget-window', string> & Record<'max-pending-requests' | 'max-gateway-credentials', number>>;

const FLAG_OF: Record<keyof ServiceLimits, string> = {
  maxRecordingBytes: '--max-recording-size',
  maxPendingRequests: '--max-pending-requests',
  maxGatewayCredentialsPerGrant: '--max-gateway-credentials',
  auditBytesPerWindow: '--audit-budget',
  recordingBytesPerWindow: '--recording-budget',
  windowMs: '--budget-window',
};

/** The write limits from the flags, over the defaults; a usage error names the flag that cannot work. */
export function limitsOf(flags: LimitFlags): ServiceLimits {
  const size = (name: 'max-recording-size' | 'audit-budget' | 'recording-budget') => {
    const text = flags[name];
    if (text === undefined) return undefined;
    const bytes = parseByteSize(text);
    if (bytes === undefined) throw usageError(`--${name} ${text} is not a size`, ['Use bytes or a binary suffix, e.g. 1048576, 64Mi or 1Gi.']);
    return bytes;
  };
  const window = flags['budget-window'];
  const windowMs = window === undefined ? undefined : tryParseDuration(window);
  if (window !== undefined && windowMs === undefined) throw usageError(`--budget-window ${window} is not a duration`, ['Use e.g. 15m, 1h or 1d.']);
  try {
    return resolveLimits({
      maxRecordingBytes: size('max-recording-size'),
      maxPendingRequests: flags['max-pending-requests'],
      maxGatewayCredentialsPerGrant: flags['max-gateway-credentials'],
      auditBytesPerWindow: size('audit-budget'),
      recordingBytesPerWindow: size('recording-budget'),
      windowMs,
    });
  } catch (error) {
    if (error instanceof LimitsError) throw usageError(`${FLAG_OF[error.field]}: ${error.message}`);
    throw error;
  }
}
