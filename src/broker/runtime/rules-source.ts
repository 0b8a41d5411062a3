/**
 * The guardrail rules a broker enforces, as the policy service has them for its cluster. Fetched
 * once before the broker serves anything (no rules, no broker: fail closed), then revalidated in
 * the background with `If-None-Match`, so a policy change reaches running brokers within one
 * interval. While the service is unreachable the last rules it gave stay in force.
 */
import type { PolicyClient } from '../../policy/client.js';
import type { GuardrailRule, MaskingConfig } from '../../policy/types.js';

export interface RulesSource {
  /** The current rules (read per request). */
  rules(): GuardrailRule[];
  /** The masking config the broker started with. */
  readonly masking: MaskingConfig;
  /** Stops revalidating. */
  close(): void;
}

export interface RulesSourceOptions {
  /** Revalidation interval in ms; default 30 s. */
  refreshMs?: number;
  log: (line: string) => void;
}

/** Fetches the rules for `cluster` and keeps them fresh. */
export async function openRulesSource(client: PolicyClient, cluster: string, options: RulesSourceOptions): Promise<RulesSource> {
  const first = await client.policyRules(cluster);
  if (first.notModified) throw new Error('the policy service answered 304 to an unconditional rules request');
  let etag = first.etag;
  let rules = first.rules.rules;
  let failing = false;
  const refresh = async (): Promise<void> => {
    try {
      const next = await client.policyRules(cluster, etag);
      if (failing) options.log('policy rules: the policy service answers again');
      failing = false;
      if (next.notModified) return;
      etag = next.etag;
      rules = next.rules.rules;
      options.log(`policy rules updated (${rules.length} rules)`);
    } catch (error) {
      if (!failing) options.log(`policy rules: revalidation failed, keeping the last rules (${(error as Error).message})`);
      failing = true;
    }
  };
  const timer = setInterval(() => void refresh(), options.refreshMs ?? 30_000);
  timer.unref();
  return { rules: () => rules, masking: first.rules.masking, close: () => clearInterval(timer) };
}
