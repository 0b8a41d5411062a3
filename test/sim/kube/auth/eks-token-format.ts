/**
 * The format checks aws-iam-authenticator's verifier (pkg/token/token.go `Verify`) makes on an EKS
 * token before it calls STS: prefix, unpadded base64url, an https presigned GetCallerIdentity URL on
 * an allowed STS host, only whitelisted query parameters, a signed `x-k8s-aws-id` header and an
 * X-Amz-Date no older than 15 minutes. Pure; time is passed in.
 */

/** Why a token was refused; `format` errors come before any STS call, `sts` ones from it. */
export class EksTokenError extends Error {
  constructor(readonly kind: 'format' | 'sts', message: string) {
    super(kind === 'format' ? `input token was not properly formatted: ${message}` : `sts getCallerIdentity failed: ${message}`);
    this.name = 'EksTokenError';
  }
}

/** What the format checks extract from a valid token. */
export interface PresignedCallerIdentity {
  /** The presigned GetCallerIdentity URL to GET. */
  url: string;
  /** host[:port] of the URL. */
  host: string;
  accessKeyId: string;
  /** Epoch ms after which the token is refused: X-Amz-Date + 15 minutes. */
  expiresAt: number;
}

export const EKS_TOKEN_PREFIX = 'k8s-aws-v1.';
/** Header the client signs and the verifier sends, carrying the cluster name. */
export const CLUSTER_ID_HEADER = 'x-k8s-aws-id';
const MAX_TOKEN_LENGTH = 4096;
const PRESIGNED_URL_LIFETIME_MS = 15 * 60_000;
const ALLOWED_PARAMETERS = new Set([
  'action',
  'version',
  'x-amz-algorithm',
  'x-amz-credential',
  'x-amz-date',
  'x-amz-expires',
  'x-amz-security-token',
  'x-amz-signature',
  'x-amz-signedheaders',
]);

function formatError(message: string): EksTokenError {
  return new EksTokenError('format', message);
}

/** Go's base64.RawURLEncoding: URL alphabet, no padding, no dangling sextet. */
function decodeRawBase64Url(text: string): string {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) throw formatError('illegal base64 data');
  return Buffer.from(text, 'base64url').toString('utf8');
}

/** Go's url.ParseQuery: `&`-separated, `+` is a space, bad escapes or `;` are errors. */
function parseGoQuery(raw: string): Map<string, string[]> {
  const params = new Map<string, string[]>();
  for (const pair of raw.split('&')) {
    if (pair === '') continue;
    if (pair.includes(';')) throw formatError('malformed query parameter');
    const eq = pair.indexOf('=');
    const [rawKey, rawValue] = eq < 0 ? [pair, ''] : [pair.slice(0, eq), pair.slice(eq + 1)];
    let key: string;
    let value: string;
    try {
      key = decodeURIComponent(rawKey.replace(/\+/g, ' '));
      value = decodeURIComponent(rawValue.replace(/\+/g, ' '));
    } catch {
      throw formatError('malformed query parameter');
    }
    params.set(key, [...(params.get(key) ?? []), value]);
  }
  return params;
}

function lowerCaseParameters(params: Map<string, string[]>): Map<string, string> {
  const seen = new Set<string>();
  const lower = new Map<string, string>();
  for (const [key, values] of params) {
    const k = key.toLowerCase();
    if (seen.has(k)) throw formatError(`duplicate query parameter found: ${JSON.stringify(key)}`);
    seen.add(k);
    if (!ALLOWED_PARAMETERS.has(k)) throw formatError(`non-whitelisted query parameter ${JSON.stringify(key)}`);
    if (values.length !== 1) throw formatError('query parameter with multiple values not supported');
    lower.set(k, values[0]!);
  }
  return lower;
}

/** Parses Go's "20060102T150405Z" layout strictly; NaN when it does not fit. */
function parseAmzDate(date: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(date);
  if (!m) return Number.NaN;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(ms);
  if (back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return Number.NaN;
  return ms;
}

/** Splits `https://host/?query` the way Go's url.Parse would see scheme, host, path and raw query. */
function splitUrl(text: string): { scheme: string; host: string; path: string; rawQuery: string } {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)(?:\?([^#]*))?(?:#.*)?$/.exec(text);
  if (!m) throw formatError('parse error: not an absolute URL');
  return { scheme: m[1]!.toLowerCase(), host: m[2]!, path: m[3]!, rawQuery: m[4] ?? '' };
}

/**
 * Checks an EKS bearer token's format and returns the presigned URL to verify with STS.
 * @param token the bearer token, `k8s-aws-v1.<base64url(presigned URL)>`
 * @param stsHosts allowed `host[:port]` values (the real verifier allows its partition's STS hosts)
 * @param now current time, epoch ms
 * @throws EksTokenError of kind `format`
 */
export function parseEksToken(token: string, stsHosts: readonly string[], now: number): PresignedCallerIdentity {
  if (token.length > MAX_TOKEN_LENGTH) throw formatError('token is too large');
  if (!token.startsWith(EKS_TOKEN_PREFIX)) throw formatError(`token is missing expected ${JSON.stringify(EKS_TOKEN_PREFIX)} prefix`);
  const url = decodeRawBase64Url(token.slice(EKS_TOKEN_PREFIX.length));
  const parts = splitUrl(url);
  if (parts.scheme !== 'https') throw formatError(`unexpected scheme ${JSON.stringify(parts.scheme)} in pre-signed URL`);
  if (!stsHosts.includes(parts.host)) throw formatError(`unexpected hostname ${JSON.stringify(parts.host)} in pre-signed URL`);
  if (parts.path !== '/') throw formatError('unexpected path in pre-signed URL');
  const params = lowerCaseParameters(parseGoQuery(parts.rawQuery));
  if (params.get('action') !== 'GetCallerIdentity') throw formatError('unexpected action parameter in pre-signed URL');
  const signed = (params.get('x-amz-signedheaders') ?? '').split(';').map((h) => h.toLowerCase());
  if (!signed.includes(CLUSTER_ID_HEADER)) throw formatError(`client did not sign the ${CLUSTER_ID_HEADER} header in the pre-signed URL`);
  const expiresParam = params.get('x-amz-expires') ?? '';
  const expires = /^[+-]?\d+$/.test(expiresParam) ? Number(expiresParam) : Number.NaN;
  if (!(expires >= 0 && expires <= 900)) throw formatError(`invalid X-Amz-Expires parameter in pre-signed URL: ${Number.isNaN(expires) ? 0 : expires}`);
  const date = params.get('x-amz-date') ?? '';
  if (date === '') throw formatError('X-Amz-Date parameter must be present in pre-signed URL');
  const signedAt = parseAmzDate(date);
  if (Number.isNaN(signedAt)) throw formatError(`error parsing X-Amz-Date parameter ${date} into format 20060102T150405Z`);
  const expiresAt = signedAt + PRESIGNED_URL_LIFETIME_MS;
  if (now > expiresAt) throw formatError(`X-Amz-Date parameter is expired (15 minute expiration) ${new Date(signedAt).toISOString()}`);
  const accessKeyId = (params.get('x-amz-credential') ?? '').split('/')[0]!;
  return { url, host: parts.host, accessKeyId, expiresAt };
}
