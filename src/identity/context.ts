import { createWarn, type Warn } from '../cli/warnings.js';
import { IdentitySession } from './session.js';
import { resolveIdentitySettings, type IdentityFlags, type IdentitySettings } from './settings.js';

/** The settings and session a command works with. */
export interface IdentityContext {
  settings: IdentitySettings;
  session: IdentitySession;
  warn: Warn;
}

/** Resolves settings from flags, environment and config file, and opens the session for them. */
export async function openIdentity(flags: IdentityFlags, env: NodeJS.ProcessEnv = process.env): Promise<IdentityContext> {
  const settings = await resolveIdentitySettings(flags, env);
  const warn = createWarn(env);
  return { settings, session: new IdentitySession({ settings, env, warn, now: Date.now }), warn };
}
