interface StoredCookie {
  name: string;
  value: string;
  host: string;
  path: string;
  secure: boolean;
  expiresAt: number;
}

/** RFC 6265 §5.1.4: the default path is the request path up to its last slash. */
function defaultPath(url: URL): string {
  const path = url.pathname;
  if (!path.startsWith('/') || path.lastIndexOf('/') === 0) return '/';
  return path.slice(0, path.lastIndexOf('/'));
}

/** RFC 6265 §5.1.4 path-match. */
function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/';
}

function parseSetCookie(header: string, url: URL, now: number): StoredCookie | undefined {
  const [pair = '', ...attributes] = header.split(';');
  const eq = pair.indexOf('=');
  if (eq <= 0) return undefined;
  const cookie: StoredCookie = {
    name: pair.slice(0, eq).trim(),
    value: pair.slice(eq + 1).trim(),
    host: url.host,
    path: defaultPath(url),
    secure: false,
    expiresAt: Infinity,
  };
  let maxAgeSeen = false;
  for (const attribute of attributes) {
    const [rawKey = '', ...rest] = attribute.split('=');
    const key = rawKey.trim().toLowerCase();
    const value = rest.join('=').trim();
    if (key === 'path' && value.startsWith('/')) cookie.path = value;
    else if (key === 'secure') cookie.secure = true;
    else if (key === 'max-age' && /^-?\d+$/.test(value)) {
      maxAgeSeen = true;
      cookie.expiresAt = now + Number(value) * 1000;
    } else if (key === 'expires' && !maxAgeSeen) {
      const at = Date.parse(value);
      if (!Number.isNaN(at)) cookie.expiresAt = at;
    }
  }
  return cookie;
}

/**
 * A browser's cookie store, enough for one person at loopback servers: host-only cookies with
 * path, expiry and Secure honoured (oidc-provider scopes its interaction cookies by path).
 */
export class CookieJar {
  private cookies: StoredCookie[] = [];

  /** Stores the `Set-Cookie` headers of a response to `url`. */
  store(url: URL, setCookieHeaders: string[]): void {
    const now = Date.now();
    for (const header of setCookieHeaders) {
      const cookie = parseSetCookie(header, url, now);
      if (!cookie) continue;
      this.cookies = this.cookies.filter((c) => !(c.name === cookie.name && c.host === cookie.host && c.path === cookie.path));
      if (cookie.expiresAt > now) this.cookies.push(cookie);
    }
  }

  /** The `Cookie` header a browser would send to `url`, longest paths first; undefined if none. */
  headerFor(url: URL): string | undefined {
    const now = Date.now();
    this.cookies = this.cookies.filter((c) => c.expiresAt > now);
    const matching = this.cookies
      .filter((c) => c.host === url.host && pathMatches(url.pathname, c.path) && (!c.secure || url.protocol === 'https:'))
      .sort((a, b) => b.path.length - a.path.length);
    return matching.length ? matching.map((c) => `${c.name}=${c.value}`).join('; ') : undefined;
  }
}
