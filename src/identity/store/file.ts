import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../cli/atomic-file.js';
import { StoreUnavailableError, type SecretStore } from './secret-store.js';

/** Entries as 0600 files under `<stateDir>/tokens`, replaced atomically. */
export class FileSecretStore implements SecretStore {
  readonly kind = 'file' as const;
  readonly dir: string;

  constructor(stateDir: string) {
    this.dir = join(stateDir, 'tokens');
  }

  async read(key: string): Promise<string | undefined> {
    try {
      return await readFile(this.pathOf(key), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new StoreUnavailableError(`cannot read ${this.pathOf(key)} (${(error as NodeJS.ErrnoException).code})`);
    }
  }

  async write(key: string, value: string): Promise<void> {
    try {
      await writeFileAtomic(this.pathOf(key), value, 0o600);
    } catch (error) {
      throw new StoreUnavailableError(`cannot write ${this.pathOf(key)} (${(error as NodeJS.ErrnoException).code})`);
    }
  }

  async remove(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  private pathOf(key: string): string {
    return join(this.dir, `${key}.json`);
  }
}
