import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../cli/atomic-file.js';

/** Which identity a profile currently uses and where its entry is. Holds no secret. */
export interface CurrentIdentity {
  cacheKey: string;
  storage: 'keyring' | 'file';
  issuer: string;
  subject: string;
}

type Index = Record<string, CurrentIdentity>;

/**
 * `<stateDir>/identities.json`: profile key → current identity, so a fresh process finds the
 * entry that the last `kgate login` for the same issuer, client and audience wrote.
 */
export class CurrentIdentityIndex {
  readonly path: string;

  constructor(stateDir: string, private readonly warn: (line: string) => void) {
    this.path = join(stateDir, 'identities.json');
  }

  async get(profile: string): Promise<CurrentIdentity | undefined> {
    return (await this.load())[profile];
  }

  async set(profile: string, identity: CurrentIdentity): Promise<void> {
    const index = await this.load();
    index[profile] = identity;
    await writeFileAtomic(this.path, `${JSON.stringify(index, null, 2)}\n`);
  }

  async delete(profile: string): Promise<void> {
    const index = await this.load();
    if (!(profile in index)) return;
    delete index[profile];
    await writeFileAtomic(this.path, `${JSON.stringify(index, null, 2)}\n`);
  }

  private async load(): Promise<Index> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw error;
    }
    try {
      const parsed = JSON.parse(text) as unknown;
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Index;
    } catch {
      // fall through: treated like an empty index below
    }
    this.warn(`kgate: warning: ${this.path} is unreadable; ignoring it (log in again to rewrite it)`);
    return {};
  }
}
