import type { AsyncEntry as AsyncEntryType } from '@napi-rs/keyring';
import { joinValue, partCount, partKey, splitValue } from './chunks.js';
import { DamagedEntryError, StoreUnavailableError, type SecretStore } from './secret-store.js';

const SERVICE = 'kgate';

type EntryClass = typeof AsyncEntryType;

/**
 * Entries in the OS keyring through @napi-rs/keyring (macOS Keychain, Windows Credential
 * Manager, Secret Service on Linux). On Linux the Secret Service is required rather than the
 * library's silent fallback to the kernel keyring, which loses tokens at logout and whose access
 * rules differ per session: a keyring that cannot keep tokens should be reported, not used.
 */
export class KeyringSecretStore implements SecretStore {
  readonly kind = 'keyring' as const;
  private entryClass?: EntryClass;

  async read(key: string): Promise<string | undefined> {
    try {
      return await this.readOnce(key);
    } catch (error) {
      // A concurrent rewrite may have replaced the parts between reading the manifest and them.
      if (error instanceof DamagedEntryError) return this.readOnce(key);
      throw error;
    }
  }

  async write(key: string, value: string): Promise<void> {
    const previous = await this.get(key);
    const { main, parts } = splitValue(value);
    for (const [i, part] of parts.entries()) await this.set(partKey(key, main, i + 1), part);
    await this.set(key, main);
    if (previous !== undefined && previous !== main) await this.removeParts(key, previous);
  }

  async remove(key: string): Promise<void> {
    const main = await this.get(key);
    if (main === undefined) return;
    await this.removeParts(key, main);
    await this.call((entry) => entry.deleteCredential(), key);
  }

  private async readOnce(key: string): Promise<string | undefined> {
    const main = await this.get(key);
    if (main === undefined) return undefined;
    const count = partCount(main);
    const parts: (string | undefined)[] = [];
    for (let i = 1; i <= count; i += 1) parts.push(await this.get(partKey(key, main, i)));
    return joinValue(main, parts);
  }

  private async removeParts(key: string, main: string): Promise<void> {
    let count = 0;
    try {
      count = partCount(main);
    } catch {
      return;
    }
    for (let i = 1; i <= count; i += 1) await this.call((entry) => entry.deleteCredential(), partKey(key, main, i));
  }

  private async get(account: string): Promise<string | undefined> {
    return (await this.call((entry) => entry.getPassword(), account)) ?? undefined;
  }

  private async set(account: string, value: string): Promise<void> {
    await this.call((entry) => entry.setPassword(value), account);
  }

  private async call<T>(action: (entry: AsyncEntryType) => Promise<T>, account: string): Promise<T> {
    try {
      this.entryClass ??= (await import('@napi-rs/keyring')).AsyncEntry;
      return await action(new this.entryClass(SERVICE, account, { linux: { store: 'secret-service' } }));
    } catch (error) {
      // The first line whole: cutting it at a length left "set your DBUS_SESSION_B" mid-word.
      const message = error instanceof Error ? error.message.split('\n', 1)[0]! : String(error);
      throw new StoreUnavailableError(`the OS keyring refused access: ${message}`);
    }
  }
}
