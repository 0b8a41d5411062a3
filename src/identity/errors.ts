import { ExitCode, KgateError } from '../cli/errors.js';

/** The command a person (or a CI job) runs to get a token. */
export function loginCommand(issuer?: string): string {
  return issuer ? `kgate login --issuer ${issuer}` : 'kgate login';
}

/**
 * No usable token, and this caller cannot get one without a person. `command` is the exact
 * login command to suggest (default: `kgate login`, with `--issuer` when one is known).
 */
export function loginNeeded(reason: string, issuer?: string, command = loginCommand(issuer)): KgateError {
  return new KgateError(`Login needed: ${reason}`, {
    code: 'KGATE_LOGIN_NEEDED',
    exit: ExitCode.LoginNeeded,
    suggestions: [
      `Run in a terminal: ${command}`,
      'Machines: kgate login --token-file PATH, --github-actions, or --client-credentials with KGATE_CLIENT_SECRET_FILE.',
    ],
  });
}

/** A workload or cached token that cannot be used as it is. */
export function badToken(what: string, problem: string, suggestion: string): KgateError {
  return new KgateError(`${what} ${problem}`, { code: 'KGATE_TOKEN_INVALID', exit: ExitCode.LoginNeeded, suggestions: [suggestion] });
}

type NetworkCause = { code?: string; message?: string; cause?: NetworkCause };

function networkCode(error: unknown): string | undefined {
  let cause = error as NetworkCause | undefined;
  for (let depth = 0; cause && depth < 5; depth += 1) {
    if (typeof cause.code === 'string' && /^(E[A-Z_]+|UND_ERR_[A-Z_]+|[A-Z_]*CERT[A-Z_]*|SELF_SIGNED[A-Z_]*|UNABLE_TO_[A-Z_]+)$/.test(cause.code)) return cause.code;
    cause = cause.cause;
  }
  return undefined;
}

const TLS_CODE = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS/;

/**
 * Maps anything an IdP exchange threw (openid-client, fetch, jose) to one actionable line.
 * `endpoint` names what kgate was talking to, e.g. "the issuer https://idp.example.com".
 */
export function idpError(error: unknown, endpoint: string): KgateError {
  if (error instanceof KgateError) return error;
  const e = error as { name?: string; code?: string; error?: string; error_description?: string; status?: number; message?: string; cause?: unknown };
  const net = networkCode(error);
  if (net && TLS_CODE.test(net)) {
    return new KgateError(`Cannot verify the TLS certificate of ${endpoint} (${net})`, {
      code: 'KGATE_TLS', exit: ExitCode.Unavailable,
      suggestions: ['If it uses a private CA, pass --ca-file /path/to/ca.pem or set KGATE_CA_FILE.'],
    });
  }
  if (net || e.name === 'TimeoutError' || e.name === 'AbortError') {
    return new KgateError(`Cannot reach ${endpoint} (${net ?? 'timed out'})`, {
      code: 'KGATE_IDP_UNAVAILABLE', exit: ExitCode.Unavailable,
      suggestions: ['Check the issuer URL and your network, then try again.'],
    });
  }
  const challenge = (e.cause as { parameters?: { error?: string } }[] | undefined)?.[0]?.parameters?.error;
  const oauthError = e.error ?? challenge;
  if (oauthError === 'invalid_client' || oauthError === 'unauthorized_client') {
    return new KgateError(`${endpoint} rejected the client credentials (${oauthError})`, {
      code: 'KGATE_CLIENT_REJECTED', exit: ExitCode.Error,
      suggestions: ['Check KGATE_CLIENT_ID and the client secret (KGATE_CLIENT_SECRET or KGATE_CLIENT_SECRET_FILE).'],
    });
  }
  if (oauthError) {
    const detail = e.error_description ? `: ${firstLine(e.error_description)}` : '';
    return new KgateError(`${endpoint} refused the request (${oauthError}${detail})`, { code: 'KGATE_IDP_REFUSED', exit: ExitCode.Error });
  }
  if (typeof e.code === 'string' && e.code.startsWith('OAUTH_')) return discoveryProblem(e, endpoint);
  return new KgateError(`${endpoint} failed: ${firstLine(e.message ?? String(error))}`, { code: 'KGATE_IDP_FAILED', exit: ExitCode.Error });
}

function discoveryProblem(e: { code?: string; status?: number; message?: string }, endpoint: string): KgateError {
  const status = e.status ?? (e as { cause?: { status?: number } }).cause?.status;
  const why = status ? `HTTP ${status}` : firstLine(e.message ?? e.code ?? 'bad response');
  return new KgateError(`${endpoint} does not answer like an OpenID Provider (${why})`, {
    code: 'KGATE_ISSUER_INVALID', exit: ExitCode.Usage,
    suggestions: ['Check the issuer URL: https://<issuer>/.well-known/openid-configuration must describe that same issuer.'],
  });
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0]!.slice(0, 200);
}
