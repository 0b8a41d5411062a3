/**
 * Remembers, briefly, how the apiserver refused a WebSocket exec/attach. kubectl falls back to
 * SPDY on any WebSocket upgrade failure and prints only the second error; the broker refuses SPDY,
 * so without this memory `kubectl exec -c wrong …` would report "SPDY unsupported" instead of the
 * apiserver's "container wrong is not valid". Replaying the apiserver's own refusal for the same
 * canonical URL keeps the message true and lets nothing more through.
 */
import type { RawResponse as UpgradeRefusal } from '../raw-response.js';

/** How long a refusal waits for the fallback attempt. kubectl retries at once. */
const DEFAULT_TTL_MS = 10_000;
/** Upper bound on remembered refusals, so a flood of failing upgrades cannot grow memory. */
const MAX_ENTRIES = 256;

/** Recent upstream refusals of WebSocket upgrades, by canonical URL; each is replayed once. */
export class RecentRefusals {
  private readonly entries = new Map<string, { refusal: UpgradeRefusal; expires: number }>();

  constructor(
    private readonly ttlMs = DEFAULT_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records the apiserver's refusal of the WebSocket upgrade of `canonicalUrl`. */
  remember(canonicalUrl: string, refusal: UpgradeRefusal): void {
    this.entries.delete(canonicalUrl);
    if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(canonicalUrl, { refusal, expires: this.now() + this.ttlMs });
  }

  /** Takes the unexpired refusal of `canonicalUrl`, if any; it is not returned again. */
  take(canonicalUrl: string): UpgradeRefusal | undefined {
    const entry = this.entries.get(canonicalUrl);
    this.entries.delete(canonicalUrl);
    return entry && entry.expires > this.now() ? entry.refusal : undefined;
  }
}
