/** Where secret entries live. Values are opaque strings; keys come from key.ts. */
export interface SecretStore {
  readonly kind: 'keyring' | 'file';
  /** The value, or undefined when there is no entry. */
  read(key: string): Promise<string | undefined>;
  write(key: string, value: string): Promise<void>;
  /** Removes the entry; removing an absent entry is not an error. */
  remove(key: string): Promise<void>;
}

/** The store could not be used at all (no Secret Service, access refused, disk error). */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
}

/** An entry exists but cannot be reassembled (a chunk is missing or does not match its digest). */
export class DamagedEntryError extends Error {
  override readonly name = 'DamagedEntryError';
}
