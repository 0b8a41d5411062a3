import { usageError } from '../cli/errors.js';
import { loginCommand, loginNeeded } from './errors.js';
import type { FlowIo } from './flows/flow-io.js';
import type { Identity } from './identity.js';
import type { LoginMethod } from './session-record.js';
import type { IdentitySession } from './session.js';
import type { IdentitySettings } from './settings.js';

/** What the person asked `kgate login` for. */
export interface LoginRequest {
  /** An explicit method; undefined means detect. */
  method?: LoginMethod;
  tokenFile?: string;
  tokenEnv?: string;
  /** Open a browser: default on for the browser flow, off for the device flow. */
  open?: boolean;
  timeoutMs: number;
}

/** The world a login runs in. */
export interface LoginContext {
  settings: IdentitySettings;
  env: NodeJS.ProcessEnv;
  interactive: boolean;
  io: FlowIo;
  session: IdentitySession;
}

/**
 * Picks the login method: an explicit choice, else a workload token the platform provides
 * (GitHub Actions), else client credentials when a secret is configured, else the browser for
 * a person at a terminal. Methods that need a person are refused when nobody can answer.
 */
export function chooseMethod(request: LoginRequest, settings: IdentitySettings, env: NodeJS.ProcessEnv, interactive: boolean): LoginMethod {
  const method = request.method
    ?? (env.ACTIONS_ID_TOKEN_REQUEST_URL && env.ACTIONS_ID_TOKEN_REQUEST_TOKEN ? 'github-actions' : undefined)
    ?? (settings.clientSecretSource ? 'client-credentials' : undefined)
    ?? 'browser';
  if ((method === 'browser' || method === 'device') && !interactive) {
    const flag = method === 'device' ? ' --device' : '';
    throw loginNeeded('this session is not interactive (no terminal, CI is set, or KUBERNETES_EXEC_INFO says interactive: false), so kgate will not open a browser or prompt', settings.issuer, `${loginCommand(settings.issuer)}${flag}`);
  }
  return method;
}

/** Runs the chosen login flow, stores the result as the current identity and returns who it is. */
export async function login(request: LoginRequest, ctx: LoginContext): Promise<Identity> {
  const method = chooseMethod(request, ctx.settings, ctx.env, ctx.interactive);
  if (method === 'device') {
    const { deviceLogin } = await import('./flows/device.js');
    const record = await deviceLogin(ctx.settings, ctx.io, request.open ?? false);
    return ctx.session.save(record, record.accessToken);
  }
  if (method === 'browser') {
    const { browserLogin } = await import('./flows/browser.js');
    const record = await browserLogin(ctx.settings, ctx.io, { open: request.open ?? true, timeoutMs: request.timeoutMs });
    return ctx.session.save(record, record.accessToken);
  }
  if (method === 'client-credentials') {
    const { clientCredentialsLogin } = await import('./flows/client-credentials.js');
    const record = await clientCredentialsLogin(ctx.settings, ctx.io);
    return ctx.session.save(record, record.accessToken);
  }
  return workloadLogin(method, request, ctx);
}

async function workloadLogin(method: LoginMethod, request: LoginRequest, ctx: LoginContext): Promise<Identity> {
  const workload = await import('./flows/workload.js');
  const source = method === 'token-file' ? workload.tokenFileSource(request.tokenFile!)
    : method === 'token-env' ? { kind: 'token-env' as const, name: request.tokenEnv! }
      : workload.githubActionsSource(ctx.env);
  if (!source) {
    throw usageError('Not running in GitHub Actions with an OIDC token', [
      'Give the job `permissions: id-token: write` so ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN are set.',
    ]);
  }
  const token = await workload.readWorkloadToken(source, ctx.settings, ctx.env, ctx.io.now() / 1000);
  await workload.verifyWorkloadSignature(token, ctx.settings, workload.describeWorkloadSource(source));
  const record = workload.workloadRecord(source, token, ctx.settings);
  const principal = await ctx.session.save(record, token.token);
  return { ...principal, expiresAt: new Date(token.claims.exp * 1000).toISOString() };
}
