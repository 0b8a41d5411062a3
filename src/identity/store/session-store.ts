import { ExitCode, KgateError } from '../../cli/errors.js';
import type { Warn } from '../../cli/warnings.js';
import type { TokenStorage } from '../settings.js';
import { CorruptEntryError, parseSessionRecord, type SessionRecord } from '../session-record.js';
import { CurrentIdentityIndex, type CurrentIdentity } from './current-identity.js';
import { FileSecretStore } from './file.js';
import { cacheKey, profileKey, type Profile } from './key.js';
import { KeyringSecretStore } from './keyring.js';
import { DamagedEntryError, StoreUnavailableError, type SecretStore } from './secret-store.js';

/** A cached login and where it lives. */
export interface StoredSession {
  record: SessionRecord;
  location: CurrentIdentity;
}

/** The outcome of looking up a profile's current login. */
export type Lookup = { kind: 'none' } | { kind: 'corrupt'; reason: string } | { kind: 'found'; session: StoredSession };

/** Options of {@link SessionStore}. */
export interface SessionStoreOptions {
  storage: TokenStorage;
  stateDir: string;
  /** One line to stderr; never called with a token. */
  warn: Warn;
  /** Replaceable for tests of the fallback; default the OS keyring. */
  keyring?: SecretStore;
}

/** Saves, finds and removes logins in the keyring or the file store, keyed per identity. */
export class SessionStore {
  private readonly stores: Record<'keyring' | 'file', SecretStore>;
  private readonly index: CurrentIdentityIndex;

  constructor(private readonly options: SessionStoreOptions) {
    this.stores = { keyring: options.keyring ?? new KeyringSecretStore(), file: new FileSecretStore(options.stateDir) };
    this.index = new CurrentIdentityIndex(options.stateDir, options.warn);
  }

  /** The current login of `profile`; corrupted entries are removed and reported as such. */
  async lookup(profile: Profile): Promise<Lookup> {
    if (this.options.storage === 'none') return { kind: 'none' };
    const location = await this.index.get(profileKey(profile));
    if (!location) return { kind: 'none' };
    return this.readAt(profile, location);
  }

  /** Re-reads the entry at `location` (after taking the refresh lock). */
  async reread(profile: Profile, location: CurrentIdentity): Promise<Lookup> {
    return this.readAt(profile, location);
  }

  /**
   * Stores `record` as the current login of `profile`. With `auto`, a keyring that refuses
   * falls back to the file store with one warning line; an explicit `keyring` fails instead.
   */
  async save(profile: Profile, record: SessionRecord): Promise<CurrentIdentity | undefined> {
    const mode = this.options.storage;
    if (mode === 'none') return undefined;
    const key = cacheKey(record);
    const text = JSON.stringify(record);
    let storage: 'keyring' | 'file' = mode === 'file' ? 'file' : 'keyring';
    try {
      await this.stores[storage].write(key, text);
    } catch (error) {
      if (!(error instanceof StoreUnavailableError) || mode !== 'auto') throw storeError(error);
      // Routine where no keyring can exist (CI): the 0600 file is then the store to expect.
      this.options.warn(`kgate: warning: ${error.message}; keeping tokens in a 0600 file under ${this.options.stateDir} instead`, { routine: true });
      storage = 'file';
      await this.stores.file.write(key, text).catch((e: unknown) => { throw storeError(e); });
    }
    const location: CurrentIdentity = { cacheKey: key, storage, issuer: record.issuer, subject: record.subject };
    const previous = await this.index.get(profileKey(profile));
    await this.index.set(profileKey(profile), location);
    if (previous && (previous.cacheKey !== key || previous.storage !== storage)) {
      await this.stores[previous.storage].remove(previous.cacheKey).catch(() => undefined);
    }
    return location;
  }

  /** Rewrites an existing entry in place (after a refresh). */
  async update(location: CurrentIdentity, record: SessionRecord): Promise<void> {
    await this.stores[location.storage].write(location.cacheKey, JSON.stringify(record)).catch((e: unknown) => { throw storeError(e); });
  }

  /** Removes the profile's entry and index line; absent entries are fine. */
  async forget(profile: Profile, location: CurrentIdentity): Promise<void> {
    await this.stores[location.storage].remove(location.cacheKey).catch((e: unknown) => { throw storeError(e); });
    await this.index.delete(profileKey(profile));
  }

  private async readAt(profile: Profile, location: CurrentIdentity): Promise<Lookup> {
    let text: string | undefined;
    try {
      text = await this.stores[location.storage].read(location.cacheKey);
      if (text === undefined) return { kind: 'none' };
      return { kind: 'found', session: { record: parseSessionRecord(text), location } };
    } catch (error) {
      if (!(error instanceof CorruptEntryError || error instanceof DamagedEntryError)) throw storeError(error);
      await this.forget(profile, location).catch(() => undefined);
      return { kind: 'corrupt', reason: `the cached login in the ${location.storage} store ${error.message}` };
    }
  }
}

function storeError(error: unknown): KgateError {
  if (error instanceof KgateError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new KgateError(`Cannot use the token store: ${message}`, {
    code: 'KGATE_TOKEN_STORE',
    exit: ExitCode.Error,
    suggestions: ['Unlock or start the OS keyring (Secret Service), or use --token-storage file (a 0600 file in the state directory).'],
  });
}
