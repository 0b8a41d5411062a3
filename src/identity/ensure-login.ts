/**
 * A login for commands that run on their own (`kgate exec`, the credential plugin): the cached
 * token when there is one, else a login that needs nobody — a platform workload token
 * (GitHub Actions, or the file in KGATE_TOKEN_FILE) or client credentials. Never prompts: when
 * only a person could sign in, it fails with "login needed" and the command to run.
 */
import type { IdentityContext } from './context.js';
import { login, type LoginRequest } from './login.js';

function isLoginNeeded(error: unknown): boolean {
  return (error as { code?: string }).code === 'KGATE_LOGIN_NEEDED';
}

/** Resolves once `ctx.session` has a usable token. */
export async function ensureLogin(ctx: IdentityContext, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  try {
    await ctx.session.getToken();
    return;
  } catch (error) {
    if (!isLoginNeeded(error)) throw error;
  }
  const request: LoginRequest = env.KGATE_TOKEN_FILE ? { method: 'token-file', tokenFile: env.KGATE_TOKEN_FILE, timeoutMs: 0 } : { timeoutMs: 0 };
  await login(request, {
    settings: ctx.settings,
    session: ctx.session,
    env,
    interactive: false,
    io: { notify: ctx.warn, openUrl: async () => {}, now: Date.now },
  });
}
