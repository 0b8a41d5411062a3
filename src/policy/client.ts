/**
 * A small typed client of the policy service's v1 API, used by the commands and the broker.
 * Errors become {@link KgateError}s with the exit code that fits: 401 → login needed, 403 →
 * denied, network and 5xx → unavailable.
 */
import { rootCertificates } from 'node:tls';
import type { Agent } from 'undici';
import { ExitCode, KgateError } from '../cli/errors.js';
import type { ApprovalView, CredentialView, GatewayCredentialView, GrantRequestBody, GrantTemplateView, GrantView, ListView, PolicyRulesView, RequestApprovalBody } from './server/api.js';
import type { AuditConflictQuery, AuditConflictRecord, AuditQuery } from './store/types.js';

export type { ApprovalView, CredentialView, GatewayCredentialView, GrantRequestBody, GrantTemplateView, GrantView, PolicyRulesView, PrincipalView, RequestApprovalBody } from './server/api.js';

export interface PolicyClientOptions {
  /** Base URL of the policy service, e.g. `https://kgate.example.com`. */
  server: string;
  /** Returns a valid bearer token (called before each request). */
  token: () => Promise<string>;
  /** Extra CA (PEM text) to trust for the service. */
  ca?: string;
}

/** Filters of `GET /v1/grants`. */
export interface GrantFilter {
  state?: string;
  cluster?: string;
  /** Only the caller's own grants (approvers and break-glass members otherwise see others too). */
  mine?: boolean;
}

/** Filters of `GET /v1/audit/events`: the store's audit query, carried as query parameters. */
export type AuditFilter = AuditQuery;

export interface AuditPage {
  items: Record<string, unknown>[];
  next?: string;
}

/** Filters of `GET /v1/audit/conflicts`. */
export type AuditConflictFilter = AuditConflictQuery;

export interface AuditConflictPage {
  items: AuditConflictRecord[];
  next?: string;
}

/** Typed access to the policy service. */
export class PolicyClient {
  private readonly base: string;
  private agent?: Promise<Agent>;

  constructor(private readonly opts: PolicyClientOptions) {
    this.base = opts.server.replace(/\/+$/, '');
  }

  /** Grant templates the caller may request, on `cluster` or on any cluster. */
  grantTemplates(cluster?: string): Promise<GrantTemplateView[]> {
    return this.call<ListView<GrantTemplateView>>('GET', `/v1/grant-templates${query({ cluster })}`).then((l) => l.items);
  }

  requestGrant(body: GrantRequestBody): Promise<GrantView> {
    return this.call('POST', '/v1/grants', body);
  }

  listGrants(filter: GrantFilter = {}): Promise<GrantView[]> {
    return this.call<ListView<GrantView>>('GET', `/v1/grants${query({ ...filter, mine: filter.mine ? 'true' : undefined })}`).then((l) => l.items);
  }

  /** The grant; with `wait`, returns once its revision exceeds `revision` or the wait ends. */
  getGrant(id: string, wait?: { revision: number; seconds: number }): Promise<GrantView> {
    return this.call('GET', `/v1/grants/${encodeURIComponent(id)}${query(waitQuery(wait))}`);
  }

  revokeGrant(id: string, reason?: string): Promise<GrantView> {
    return this.call('POST', `/v1/grants/${encodeURIComponent(id)}/revoke`, reason ? { reason } : {});
  }

  credentials(id: string): Promise<CredentialView> {
    return this.call('POST', `/v1/grants/${encodeURIComponent(id)}/credentials`, {});
  }

  /** A gateway credential for the caller's active grant on a gateway cluster. */
  gatewayCredential(grantId: string, purpose: 'run' | 'context'): Promise<GatewayCredentialView> {
    return this.call('POST', `/v1/grants/${encodeURIComponent(grantId)}/gateway-credentials`, { purpose });
  }

  async revokeGatewayCredential(id: string): Promise<void> {
    await this.call('POST', `/v1/gateway-credentials/${encodeURIComponent(id)}/revoke`, {});
  }

  /** The caller's own pending approvals, once they differ from `known` (or `seconds` pass). */
  async waitForMyPendingApprovals(known: readonly string[], seconds: number, signal?: AbortSignal): Promise<ApprovalView[]> {
    const response = await this.send('GET', `/v1/approvals${query({ mine: 'true', state: 'pending', wait: `${seconds}s`, known: known.join(',') || undefined })}`, undefined, undefined, {}, signal);
    if (!response.ok) throw await apiError(response);
    return ((await response.json()) as ListView<ApprovalView>).items;
  }

  /** The service's base URL, e.g. `https://kgate.example.com` (the gateway lives under it). */
  get serverUrl(): string {
    return this.base;
  }

  /** The extra CA (PEM) trusted for the service, if one was configured. */
  get caPem(): string | undefined {
    return this.opts.ca;
  }

  /** Approvals the caller may decide, or with `mine` the ones the caller opened. */
  listApprovals(filter: { state?: string; mine?: boolean } = {}): Promise<ApprovalView[]> {
    return this.call<ListView<ApprovalView>>('GET', `/v1/approvals${query({ state: filter.state, mine: filter.mine ? 'true' : undefined })}`).then((l) => l.items);
  }

  getApproval(id: string, wait?: { revision: number; seconds: number }): Promise<ApprovalView> {
    return this.call('GET', `/v1/approvals/${encodeURIComponent(id)}${query(waitQuery(wait))}`);
  }

  approve(id: string, reason?: string): Promise<ApprovalView> {
    return this.call('POST', `/v1/approvals/${encodeURIComponent(id)}/approve`, reason ? { reason } : {});
  }

  deny(id: string, reason: string): Promise<ApprovalView> {
    return this.call('POST', `/v1/approvals/${encodeURIComponent(id)}/deny`, { reason });
  }

  /** Opens an approval for one API request a broker holds; the caller is the requester. */
  requestApproval(body: RequestApprovalBody): Promise<ApprovalView> {
    return this.call('POST', '/v1/approvals', body);
  }

  ingestAudit(events: Record<string, unknown>[]): Promise<{ accepted: number; duplicates: number; conflicts?: number }> {
    return this.call('POST', '/v1/audit/events', { events });
  }

  searchAudit(filter: AuditFilter = {}): Promise<AuditPage> {
    const { limit, ...rest } = filter;
    return this.call('GET', `/v1/audit/events${query({ ...rest, limit: limit === undefined ? undefined : String(limit) })}`);
  }

  /** Copies of stored events that arrived with other content under the same id. */
  searchAuditConflicts(filter: AuditConflictFilter = {}): Promise<AuditConflictPage> {
    const { limit, ...rest } = filter;
    return this.call('GET', `/v1/audit/conflicts${query({ ...rest, limit: limit === undefined ? undefined : String(limit) })}`);
  }

  /** Stores the recording of an exec session of `grant` (the caller's own, on a broker-mode cluster). */
  async putRecording(id: string, data: Uint8Array, grant: string, contentType = 'application/x-asciicast'): Promise<void> {
    await this.call('PUT', `/v1/recordings/${encodeURIComponent(id)}${query({ grant })}`, data, contentType);
  }

  async getRecording(id: string): Promise<Buffer> {
    const response = await this.send('GET', `/v1/recordings/${encodeURIComponent(id)}`);
    if (!response.ok) throw await apiError(response);
    return Buffer.from(await response.arrayBuffer());
  }

  /** The guardrail rules and masking config for `cluster`; `notModified` when `etag` still matches. */
  async policyRules(cluster: string, etag?: string): Promise<{ notModified: true } | { notModified: false; etag: string; rules: PolicyRulesView }> {
    const response = await this.send('GET', `/v1/policy/rules${query({ cluster })}`, undefined, undefined, etag ? { 'if-none-match': etag } : {});
    if (response.status === 304) return { notModified: true };
    if (!response.ok) throw await apiError(response);
    return { notModified: false, etag: response.headers.get('etag') ?? '', rules: (await response.json()) as PolicyRulesView };
  }

  /** Releases the connection pool. */
  async close(): Promise<void> {
    if (this.agent) await (await this.agent).close();
  }

  private async call<T>(method: string, path: string, body?: unknown, contentType?: string): Promise<T> {
    const response = await this.send(method, path, body, contentType);
    if (!response.ok) throw await apiError(response);
    return (await response.json()) as T;
  }

  private async send(method: string, path: string, body?: unknown, contentType?: string, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<Response> {
    const { fetch } = await import('undici');
    const dispatcher = await this.dispatcher();
    const token = await this.opts.token();
    const raw = body instanceof Uint8Array;
    try {
      return (await fetch(`${this.base}${path}`, {
        method,
        dispatcher,
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': contentType ?? 'application/json' }),
          ...headers,
        },
        body: body === undefined ? undefined : raw ? body : JSON.stringify(body),
        ...(signal ? { signal } : {}),
      })) as unknown as Response;
    } catch (error) {
      throw unreachable(this.base, error);
    }
  }

  private dispatcher(): Promise<Agent> {
    this.agent ??= import('undici').then(({ Agent }) => new Agent({
      connect: { ca: this.opts.ca ? [...rootCertificates, this.opts.ca] : undefined },
      // Long-polls hold the response for up to a minute.
      headersTimeout: 90_000,
      bodyTimeout: 90_000,
    }));
    return this.agent;
  }
}

function waitQuery(wait?: { revision: number; seconds: number }): Record<string, string | undefined> {
  return wait ? { wait: `${Math.max(0, Math.round(wait.seconds))}s`, revision: String(wait.revision) } : {};
}

function query(params: Record<string, string | boolean | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '' && v !== false) q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** The service answered with an error. `status` and `apiCode` are the service's. */
export class PolicyApiError extends KgateError {
  constructor(message: string, readonly status: number, readonly apiCode: string) {
    super(message, { code: `KGATE_SERVER_${apiCode.toUpperCase()}`, exit: exitFor(status), suggestions: suggestionsFor(status) });
  }
}

function exitFor(status: number) {
  if (status === 401) return ExitCode.LoginNeeded;
  if (status === 403) return ExitCode.Denied;
  if (status >= 500) return ExitCode.Unavailable;
  if (status === 400 || status === 413 || status === 415) return ExitCode.Usage;
  return ExitCode.Error;
}

function suggestionsFor(status: number): string[] {
  if (status === 401) return ['Run kgate login, then try again.'];
  if (status >= 500) return ['The policy service failed; try again shortly.'];
  return [];
}

async function apiError(response: Response): Promise<PolicyApiError> {
  let code = `http_${response.status}`;
  let message = `The policy service answered HTTP ${response.status}`;
  try {
    const body = (await response.json()) as { error?: { code?: string; message?: string } };
    if (body.error?.code) code = body.error.code;
    if (body.error?.message) message = body.error.message;
  } catch {
    // Not our JSON error body (a proxy in between?): keep the status line.
  }
  return new PolicyApiError(message, response.status, code);
}

function unreachable(base: string, error: unknown): KgateError {
  let cause = error as { code?: string; cause?: unknown } | undefined;
  let code: string | undefined;
  for (let i = 0; cause && i < 5; i += 1) {
    if (typeof cause.code === 'string') code = cause.code;
    cause = cause.cause as typeof cause;
  }
  const tls = code !== undefined && /CERT|SELF_SIGNED|UNABLE_TO/.test(code);
  return new KgateError(`Cannot reach the policy service at ${base} (${code ?? 'network error'})`, {
    code: tls ? 'KGATE_TLS' : 'KGATE_SERVER_UNAVAILABLE',
    exit: ExitCode.Unavailable,
    suggestions: tls ? ['Trust its CA with KGATE_SERVER_CA_FILE (or KGATE_CA_FILE).'] : ['Check --server / KGATE_SERVER and that kgate server is running.'],
  });
}
