/**
 * Transport security for the policy service, on both ends. A client sends its bearer token with
 * every call, so a service URL must be https unless it stays on this machine (loopback); and
 * `kgate server` serves plain HTTP only on loopback. Either may be overridden, but only by a
 * choice that says "insecure" where it is made.
 */
import { isIP } from 'node:net';
import { ExitCode, KgateError } from './errors.js';

/** The client-side override: a flag and an environment variable, one name. */
export const INSECURE_HTTP_SERVER_FLAG = 'insecure-http-server';
export const INSECURE_HTTP_SERVER_ENV = 'KGATE_INSECURE_HTTP_SERVER';
/** `kgate server`'s override for listening without TLS beyond loopback. */
export const INSECURE_LISTEN_HTTP_FLAG = 'insecure-listen-http';

/**
 * Whether `host` (a URL hostname, possibly bracketed, or a listen address) can only reach this
 * machine: 127.0.0.0/8, ::1 (also IPv4-mapped), or the name `localhost`.
 */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '').toLowerCase();
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) !== 6) return false;
  if (bare === '::1' || /^(0{0,4}:){7}0{0,3}1$/.test(bare)) return true;
  // IPv4-mapped, as written (::ffff:127.0.0.1) or as the URL parser normalises it (::ffff:7f00:1).
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(bare);
  return mapped !== null ? mapped[1]!.startsWith('127.') : /^::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}$/.test(bare);
}

/** Whether the client-side override is on: the flag, or the environment variable set to 1/true. */
export function insecureHttpAllowed(flag: boolean | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  if (flag) return true;
  const value = env[INSECURE_HTTP_SERVER_ENV]?.trim().toLowerCase();
  return value === '1' || value === 'true';
}

/**
 * Checks a policy service URL before anything is sent to it: an http(s) URL, https unless the
 * host is loopback or `insecure` says otherwise. `source` names where the URL came from.
 * @returns the URL without trailing slashes.
 * @throws KgateError `KGATE_USAGE` for something that is not an http(s) URL,
 *   `KGATE_INSECURE_SERVER_URL` for plain http to another machine.
 */
export function checkServerUrl(value: string, source: string, insecure: boolean): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new KgateError(`The policy service URL "${value}" (${source}) is not a URL`, { code: 'KGATE_USAGE', exit: ExitCode.Usage, suggestions: ['Use e.g. https://kgate.example.com.'] });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new KgateError(`The policy service URL ${value} (${source}) must be https`, { code: 'KGATE_USAGE', exit: ExitCode.Usage });
  }
  if (url.username || url.password) {
    throw new KgateError(`The policy service URL (${source}) must not carry a user name or password`, { code: 'KGATE_USAGE', exit: ExitCode.Usage });
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname) && !insecure) {
    throw new KgateError(`Refusing plain http to the policy service at ${url.host} (${source}): your login token would cross the network unencrypted`, {
      code: 'KGATE_INSECURE_SERVER_URL',
      exit: ExitCode.Usage,
      suggestions: [
        `Use https://${url.host}${url.pathname === '/' ? '' : url.pathname} (kgate server --tls-cert … --tls-key …).`,
        `Only on a network you trust completely: --${INSECURE_HTTP_SERVER_FLAG} or ${INSECURE_HTTP_SERVER_ENV}=1.`,
      ],
    });
  }
  return value.replace(/\/+$/, '');
}

/**
 * Checks where `kgate server` listens: without TLS only on loopback, unless `insecure`.
 * @throws KgateError `KGATE_INSECURE_LISTEN` otherwise.
 */
export function checkListenAddress(host: string, tls: boolean, insecure: boolean): void {
  if (tls || insecure || isLoopbackHost(host)) return;
  throw new KgateError(`Refusing to serve plain HTTP on ${host}: callers' tokens would cross the network unencrypted`, {
    code: 'KGATE_INSECURE_LISTEN',
    exit: ExitCode.Usage,
    suggestions: [
      'Serve HTTPS with --tls-cert and --tls-key, or listen on loopback (127.0.0.1) behind a TLS-terminating proxy.',
      `Only on a network you trust completely: --${INSECURE_LISTEN_HTTP_FLAG}.`,
    ],
  });
}
