import type { Warn } from '../cli/warnings.js';
import type { IdentitySettings } from './settings.js';
import { decodeClaims } from './jwt.js';
import { loginNeeded } from './errors.js';
import { identityOf, type Identity } from './identity.js';
import { withRefreshLock } from './refresh-lock.js';
import type { SessionRecord } from './session-record.js';
import type { Profile } from './store/key.js';
import { SessionStore, type StoredSession } from './store/session-store.js';
import type { CurrentIdentity } from './store/current-identity.js';

/** What a session needs from the outside world; injected so tests control time and output. */
export interface SessionDeps {
  settings: IdentitySettings;
  env: NodeJS.ProcessEnv;
  /** One line to stderr; never a token. */
  warn: Warn;
  /** Milliseconds since the epoch. */
  now: () => number;
  store?: SessionStore;
}

/** A usable bearer token and who it belongs to. */
export interface CurrentToken {
  token: string;
  principal: Identity;
}

/** Tokens are renewed this long before they expire, at most a quarter of their lifetime. */
const MAX_MARGIN_SECONDS = 60;

/**
 * The current identity of one kgate configuration (issuer + client + audience): cache-first
 * token retrieval, refresh under a cross-process lock, saving logins and logging out.
 */
export class IdentitySession {
  readonly store: SessionStore;
  readonly profile: Profile;

  constructor(private readonly deps: SessionDeps) {
    const { settings } = deps;
    this.store = deps.store ?? new SessionStore({ storage: settings.tokenStorage, stateDir: settings.paths.state, warn: deps.warn });
    this.profile = { issuer: settings.issuer ?? '', clientId: settings.clientId, audience: settings.audience };
  }

  /**
   * A valid token for the current identity. Returns the cached one when it is not about to
   * expire; otherwise takes the refresh lock, re-reads (another process may have renewed it),
   * and renews only if still needed. Never prompts: a missing login is {@link loginNeeded}.
   */
  async getToken(): Promise<CurrentToken> {
    const stored = await this.current();
    const { record, location } = stored;
    if (record.tokenFile || record.tokenEnv) return this.rereadWorkload(record, location);
    if (this.fresh(record)) return this.result(record, location);
    return withRefreshLock(this.deps.settings.paths.state, location.cacheKey, async () => {
      const again = await this.store.reread(this.profile, location);
      if (again.kind !== 'found') throw this.missing(again.kind === 'corrupt' ? again.reason : undefined);
      if (this.fresh(again.session.record)) return this.result(again.session.record, location);
      const renewed = await this.renew(again.session.record).catch(async (error: unknown) => {
        // A login the IdP has ended stays ended: drop it so later calls do not retry the refresh.
        if ((error as { code?: string }).code === 'KGATE_LOGIN_NEEDED') await this.store.forget(this.profile, location).catch(() => undefined);
        throw error;
      });
      await this.store.update(location, renewed);
      return this.result(renewed, location);
    });
  }

  /** The cached login, or a login-needed error (corrupted entries are removed first). */
  async current(): Promise<StoredSession> {
    const lookup = await this.store.lookup(this.profile);
    if (lookup.kind === 'found') return lookup.session;
    throw this.missing(lookup.kind === 'corrupt' ? lookup.reason : undefined);
  }

  /** Makes `record` the current identity and returns its principal. */
  async save(record: SessionRecord, token: string | undefined): Promise<Identity> {
    const location = await this.store.save(this.profile, record);
    return identityOf(record, token, location?.storage ?? 'none');
  }

  private fresh(record: SessionRecord): boolean {
    if (!record.accessToken || record.expiresAt === undefined) return false;
    const now = this.deps.now() / 1000;
    let lifetime = MAX_MARGIN_SECONDS * 4;
    try {
      const iat = decodeClaims(record.accessToken).iat;
      if (typeof iat === 'number') lifetime = record.expiresAt - iat;
    } catch {
      return false;
    }
    return record.expiresAt - now > Math.min(MAX_MARGIN_SECONDS, lifetime / 4);
  }

  private async renew(record: SessionRecord): Promise<SessionRecord> {
    const { settings, env } = this.deps;
    const now = this.deps.now() / 1000;
    if (record.refreshToken) {
      const { refreshSession } = await import('./flows/refresh.js');
      return refreshSession(settings, record, now);
    }
    if (record.method === 'client-credentials' && settings.clientSecretSource && settings.clientSecretSource !== 'flag') {
      const { clientCredentialsLogin } = await import('./flows/client-credentials.js');
      return clientCredentialsLogin({ ...settings, issuer: record.issuer, clientId: record.clientId }, { notify: this.deps.warn, openUrl: async () => {}, now: this.deps.now });
    }
    if (record.method === 'github-actions') {
      const { githubActionsSource, readWorkloadToken, workloadRecord } = await import('./flows/workload.js');
      const source = githubActionsSource(env);
      if (source) return workloadRecord(source, await readWorkloadToken(source, settings, env, now), settings);
    }
    throw loginNeeded(`the ${record.method} token for ${record.subject} expired and cannot be renewed here`, this.deps.settings.issuer);
  }

  private async rereadWorkload(record: SessionRecord, location: CurrentIdentity): Promise<CurrentToken> {
    const { readWorkloadToken, sourceOfRecord } = await import('./flows/workload.js');
    const workload = await readWorkloadToken(sourceOfRecord(record)!, this.deps.settings, this.deps.env, this.deps.now() / 1000);
    const current = { ...record, subject: workload.claims.sub, expiresAt: workload.claims.exp };
    return { token: workload.token, principal: identityOf(current, workload.token, location.storage) };
  }

  private result(record: SessionRecord, location: CurrentIdentity): CurrentToken {
    return { token: record.accessToken!, principal: identityOf(record, record.accessToken, location.storage) };
  }

  private missing(corruption?: string): Error {
    const issuer = this.deps.settings.issuer;
    const reason = corruption
      ? `${corruption}; it was removed`
      : `not logged in${issuer ? ` to ${issuer}` : ''}`;
    return loginNeeded(reason, issuer);
  }
}
