/**
 * `kgate logout --end-grants`: before the login goes, revoke every grant the caller still holds
 * or waits for, so signing out also ends cluster access rather than leaving it to expire. The
 * outcome is reported, never thrown: a policy service that cannot be reached must not keep the
 * local tokens alive, so the caller logs out regardless and says what is left running.
 */
import { ExitCode, toErrorBody } from '../cli/errors.js';
import { openPolicyClient, type ServerFlagValues } from './client-context.js';
import { PolicyApiError, type PolicyClient } from './client.js';

/** What {@link endOwnGrants} did. */
export interface EndedGrants {
  /** Grants revoked now, with the state each was in. */
  revoked: { id: string; cluster: string; template: string; was: 'active' | 'pending' }[];
  /** Grants the service refused to revoke. */
  failed: { id: string; message: string }[];
  /** Set when the caller's grants could not even be listed (service unreachable, no login, …). */
  unavailable?: { code: string; message: string; exitCode: number };
}

const REASON = 'ended by kgate logout --end-grants';

/** Revokes the caller's active and pending grants with `client`. */
export async function revokeOwnGrants(client: PolicyClient): Promise<EndedGrants> {
  const result: EndedGrants = { revoked: [], failed: [] };
  for (const grant of await client.listGrants({ mine: true, state: 'active,pending' })) {
    try {
      await client.revokeGrant(grant.id, REASON);
      result.revoked.push({ id: grant.id, cluster: grant.cluster, template: grant.template, was: grant.state as 'active' | 'pending' });
    } catch (error) {
      // It ended on its own (expired, denied, revoked elsewhere) between the list and now.
      if (error instanceof PolicyApiError && error.status === 409) continue;
      result.failed.push({ id: grant.id, message: toErrorBody(error).message });
    }
  }
  return result;
}

/** Opens the policy service as the current identity and revokes the caller's grants there. */
export async function endOwnGrants(flags: ServerFlagValues, env: NodeJS.ProcessEnv = process.env): Promise<EndedGrants> {
  let client: PolicyClient | undefined;
  try {
    client = await openPolicyClient(flags, env);
    return await revokeOwnGrants(client);
  } catch (error) {
    const { code, message, exitCode } = toErrorBody(error);
    return { revoked: [], failed: [], unavailable: { code, message, exitCode } };
  } finally {
    await client?.close();
  }
}

/** The exit code a logout that ended grants should finish with. */
export function endedGrantsExit(ended: EndedGrants): number {
  if (ended.unavailable) return ended.unavailable.exitCode;
  return ended.failed.length > 0 ? ExitCode.Error : ExitCode.Ok;
}
