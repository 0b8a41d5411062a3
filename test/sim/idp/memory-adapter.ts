import type { Adapter, AdapterPayload } from 'oidc-provider';

interface Entry {
  payload: AdapterPayload;
  expiresAt: number;
}

/**
 * One store per provider instance: oidc-provider's built-in memory adapter is an LRU of 1000
 * entries (tokens could vanish in a long sim run) and warns on every start.
 */
export class MemoryStore {
  private readonly entries = new Map<string, Entry>();
  private readonly byUid = new Map<string, string>();
  private readonly byUserCode = new Map<string, string>();
  private readonly byGrant = new Map<string, Set<string>>();

  /** The factory oidc-provider calls once per model name. */
  adapterFactory(): (model: string) => Adapter {
    return (model) => new ModelAdapter(model, this);
  }

  get(key: string): AdapterPayload | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.delete(key);
      return undefined;
    }
    return entry.payload;
  }

  set(key: string, payload: AdapterPayload, expiresIn: number | undefined): void {
    this.delete(key);
    const expiresAt = typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : Infinity;
    this.entries.set(key, { payload, expiresAt });
    if (payload.uid) this.byUid.set(payload.uid, key);
    if (payload.userCode) this.byUserCode.set(payload.userCode, key);
    if (payload.grantId) {
      const members = this.byGrant.get(payload.grantId) ?? new Set<string>();
      members.add(key);
      this.byGrant.set(payload.grantId, members);
    }
  }

  delete(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    const { uid, userCode, grantId } = entry.payload;
    if (uid && this.byUid.get(uid) === key) this.byUid.delete(uid);
    if (userCode && this.byUserCode.get(userCode) === key) this.byUserCode.delete(userCode);
    if (grantId) this.byGrant.get(grantId)?.delete(key);
  }

  keyForUid(uid: string): string | undefined {
    return this.byUid.get(uid);
  }

  keyForUserCode(userCode: string): string | undefined {
    return this.byUserCode.get(userCode);
  }

  revokeGrant(grantId: string): void {
    for (const key of [...this.byGrant.get(grantId) ?? []]) this.delete(key);
    this.byGrant.delete(grantId);
  }
}

class ModelAdapter implements Adapter {
  constructor(private readonly model: string, private readonly store: MemoryStore) {}

  private key(id: string): string {
    return `${this.model}:${id}`;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    this.store.set(this.key(id), payload, expiresIn);
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    return this.store.get(this.key(id));
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    const key = this.store.keyForUid(uid);
    return key === undefined ? undefined : this.store.get(key);
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    const key = this.store.keyForUserCode(userCode);
    return key === undefined ? undefined : this.store.get(key);
  }

  async consume(id: string): Promise<void> {
    const payload = this.store.get(this.key(id));
    if (payload) payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id: string): Promise<void> {
    this.store.delete(this.key(id));
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    this.store.revokeGrant(grantId);
  }
}
