import { Flags } from '@oclif/core';
import { KgateCommand } from '../cli/base-command.js';
import { identityFlags } from '../identity/command-flags.js';
import { openIdentity } from '../identity/context.js';
import { isInteractive, processTerminal } from '../identity/interactive.js';
import { login, type LoginRequest } from '../identity/login.js';
import { openUrl } from '../identity/flows/open-url.js';
import { describeIdentity, type Identity } from '../identity/identity.js';
import type { LoginMethod } from '../identity/session-record.js';

const METHODS = ['device', 'browser', 'client-credentials', 'token-file', 'token-env', 'github-actions'];
const exclusive = (name: string) => METHODS.filter((m) => m !== name);

export default class Login extends KgateCommand<Identity> {
  static override summary = 'Sign in to kgate as a person or a machine.';
  static override description = `Without a method flag kgate detects one: a GitHub Actions OIDC token, else client credentials when a client secret is configured, else the browser when a person is at the terminal. When nobody can answer (no terminal, CI set, KUBERNETES_EXEC_INFO interactive: false) it exits 4 at once instead of prompting.`;
  static override examples = [
    '<%= config.bin %> login --issuer https://idp.example.com',
    '<%= config.bin %> login --device',
    'KGATE_CLIENT_ID=ci-deployer KGATE_CLIENT_SECRET_FILE=/run/secrets/kgate <%= config.bin %> login --client-credentials',
    '<%= config.bin %> login --token-file /var/run/secrets/tokens/kgate',
    '<%= config.bin %> login --github-actions',
  ];

  static override flags = {
    device: Flags.boolean({ summary: 'Device code (RFC 8628): a URL and code to enter on any device.', exclusive: exclusive('device') }),
    browser: Flags.boolean({ summary: 'Authorization code + PKCE in a browser (default for a terminal).', exclusive: exclusive('browser') }),
    'client-credentials': Flags.boolean({ summary: 'OAuth client credentials (KGATE_CLIENT_ID + KGATE_CLIENT_SECRET[_FILE]).', exclusive: exclusive('client-credentials') }),
    'token-file': Flags.string({ summary: 'Use a platform token file, re-read at each use (e.g. a projected ServiceAccount token).', exclusive: exclusive('token-file') }),
    'token-env': Flags.string({ summary: 'Use the platform token in this environment variable, re-read at each use.', exclusive: exclusive('token-env') }),
    'github-actions': Flags.boolean({ summary: 'Use the GitHub Actions OIDC token for the configured audience.', exclusive: exclusive('github-actions') }),
    ...identityFlags,
    'client-secret': Flags.string({ summary: 'Client secret (visible in the process list; prefer --client-secret-file).', helpGroup: 'IDENTITY' }),
    'client-secret-file': Flags.string({ summary: 'File holding the client secret (env KGATE_CLIENT_SECRET_FILE).', helpGroup: 'IDENTITY' }),
    scope: Flags.string({ summary: 'Scopes to request (repeatable; env KGATE_SCOPES).', multiple: true, helpGroup: 'IDENTITY' }),
    open: Flags.boolean({ summary: 'Open a browser (default: on for --browser, off for --device).', allowNo: true }),
    timeout: Flags.integer({ summary: 'Seconds to wait for the browser sign-in.', default: 180, min: 1 }),
  };

  async run(): Promise<Identity> {
    const { flags } = await this.parse(Login);
    const { settings, session, warn } = await openIdentity(flags);
    const method = METHODS.find((m) => flags[m as keyof typeof flags]) as LoginMethod | undefined;
    const request: LoginRequest = { method, tokenFile: flags['token-file'], tokenEnv: flags['token-env'], open: flags.open, timeoutMs: flags.timeout * 1000 };
    const principal = await login(request, {
      settings, session, env: process.env, interactive: isInteractive(processTerminal()),
      io: { notify: warn, openUrl: (url) => openUrl(url), now: Date.now },
    });
    this.say(`Logged in as ${describeIdentity(principal)}`);
    if (principal.groups.length) this.say(`Groups: ${principal.groups.join(', ')}`);
    if (principal.expiresAt) this.say(`Token expires ${principal.expiresAt}${principal.storage === 'none' ? ' (not stored: --token-storage none)' : `; kept in the ${principal.storage} store`}`);
    return principal;
  }
}
