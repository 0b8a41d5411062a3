/**
 * A verifier for AWS Signature Version 4 (header-signed and presigned-query requests), written
 * from the public SigV4 specification ("Create a signed AWS API request"). It does no I/O: the
 * caller hands it the request as seen on the wire, a clock and a key lookup.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** The STS error codes a failed verification maps to (query-protocol spelling). */
export type SigV4ErrorCode =
  | 'MissingAuthenticationToken'
  | 'IncompleteSignature'
  | 'SignatureDoesNotMatch'
  | 'InvalidClientTokenId'
  | 'ExpiredToken';

/** A rejected signature, carrying the STS error code and HTTP status real STS answers with. */
export class SigV4Error extends Error {
  readonly status: number;
  constructor(readonly code: SigV4ErrorCode, message: string) {
    super(message);
    this.name = 'SigV4Error';
    // Real STS answers every authentication failure with 403 Forbidden.
    this.status = 403;
  }
}

/** A request exactly as it arrived: raw path and raw query (still percent-encoded). */
export interface WireRequest {
  method: string;
  /** The request-target's path, undecoded, e.g. `/clusters/my%20cluster`. */
  rawPath: string;
  /** The request-target's query without `?`, undecoded; empty when absent. */
  rawQuery: string;
  /** Header name/value pairs in arrival order (Node's `rawHeaders`, paired). */
  headers: readonly (readonly [string, string])[];
  body: Buffer;
}

/** A secret the verifier may sign with, and what it belongs to. */
export interface SigningKey<P> {
  secretAccessKey: string;
  /** Required (and must match) for temporary credentials. */
  sessionToken?: string;
  /** Epoch milliseconds after which the credentials are rejected with ExpiredToken. */
  expiresAt?: number;
  principal: P;
}

export interface VerifyOptions<P> {
  service: string;
  region: string;
  /** Epoch milliseconds. */
  now: number;
  lookup(accessKeyId: string): SigningKey<P> | undefined;
  /** How far a header-signed X-Amz-Date may be from `now`; AWS uses 15 minutes. */
  maxSkewMs?: number;
  /**
   * How long a presigned URL lives after X-Amz-Date. The SigV4 rule (default) is X-Amz-Expires;
   * real STS ignores X-Amz-Expires and always allows 15 minutes (aws/aws-sdk-go#2167).
   */
  presignedLifetime?: 'x-amz-expires' | 'fifteen-minutes';
}

/** A request whose signature checked out. */
export interface VerifiedRequest<P> {
  accessKeyId: string;
  principal: P;
  mode: 'header' | 'presigned';
  signedHeaders: string[];
  /** X-Amz-Date as epoch milliseconds. */
  signedAt: number;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
const FIFTEEN_MINUTES_MS = 15 * 60_000;
const MAX_PRESIGNED_EXPIRES_S = 7 * 24 * 3600;
const EMPTY_SHA256 = sha256Hex('');

interface SignatureInput {
  mode: 'header' | 'presigned';
  accessKeyId: string;
  scopeDate: string;
  scopeRegion: string;
  scopeService: string;
  scopeTerminator: string;
  signedHeaders: string[];
  signature: string;
  amzDate: string;
  signedAt: number;
  sessionToken: string | undefined;
  expiresSeconds: number | undefined;
}

/**
 * Verifies a SigV4-signed request and returns who signed it, or throws a {@link SigV4Error}
 * with the code real STS would answer.
 */
export function verifySigV4<P>(req: WireRequest, opts: VerifyOptions<P>): VerifiedRequest<P> {
  const query = parseRawQuery(req.rawQuery);
  const input = readSignatureInput(req, query);
  checkScope(input, opts);
  checkTime(input, opts);
  const key = opts.lookup(input.accessKeyId);
  if (!key) throw new SigV4Error('InvalidClientTokenId', 'The security token included in the request is invalid.');
  checkSessionToken(input, key, opts.now);
  checkSignature(req, query, input, key.secretAccessKey);
  return {
    accessKeyId: input.accessKeyId,
    principal: key.principal,
    mode: input.mode,
    signedHeaders: input.signedHeaders,
    signedAt: input.signedAt,
  };
}

/** Pairs Node's flat `rawHeaders` list. */
export function pairRawHeaders(raw: readonly string[]): [string, string][] {
  const pairs: [string, string][] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) pairs.push([raw[i]!, raw[i + 1]!]);
  return pairs;
}

/** Splits a request-target into its raw path and raw query. */
export function splitTarget(target: string): { rawPath: string; rawQuery: string } {
  const q = target.indexOf('?');
  return q < 0 ? { rawPath: target, rawQuery: '' } : { rawPath: target.slice(0, q), rawQuery: target.slice(q + 1) };
}

function readSignatureInput(req: WireRequest, query: [string, string][]): SignatureInput {
  const authorization = headerValues(req.headers, 'authorization');
  const hasQueryAuth = query.some(([k]) => k === 'X-Amz-Algorithm');
  if (authorization.length > 0 && hasQueryAuth) {
    throw new SigV4Error('IncompleteSignature',
      'Only one authentication method is allowed: the Authorization header or the X-Amz-Algorithm query parameter.');
  }
  if (authorization.length > 0) return readHeaderInput(req, authorization.join(','));
  if (hasQueryAuth) return readQueryInput(query);
  throw new SigV4Error('MissingAuthenticationToken', 'Request is missing Authentication Token');
}

function readHeaderInput(req: WireRequest, authorization: string): SignatureInput {
  const space = authorization.indexOf(' ');
  const algorithm = space < 0 ? authorization : authorization.slice(0, space);
  if (algorithm !== ALGORITHM) {
    throw new SigV4Error('IncompleteSignature', `Unsupported AWS 'algorithm': '${algorithm}'`);
  }
  const fields = new Map<string, string>();
  for (const part of authorization.slice(space + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const amzDate = headerValues(req.headers, 'x-amz-date')[0] ?? toAmzDate(headerValues(req.headers, 'date')[0]);
  const problems = [
    fields.has('Credential') ? '' : "Authorization header requires 'Credential' parameter.",
    fields.has('SignedHeaders') ? '' : "Authorization header requires 'SignedHeaders' parameter.",
    fields.has('Signature') ? '' : "Authorization header requires 'Signature' parameter.",
    amzDate ? '' : "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
  ].filter(Boolean);
  if (problems.length > 0) {
    throw new SigV4Error('IncompleteSignature', `${problems.join(' ')} Authorization=${algorithm}`);
  }
  const token = headerValues(req.headers, 'x-amz-security-token');
  return {
    mode: 'header',
    ...parseCredential(fields.get('Credential')!),
    signedHeaders: fields.get('SignedHeaders')!.split(';'),
    signature: fields.get('Signature')!,
    amzDate: amzDate!,
    signedAt: parseAmzDate(amzDate!),
    sessionToken: token.length > 0 ? token.join(',') : undefined,
    expiresSeconds: undefined,
  };
}

function readQueryInput(query: [string, string][]): SignatureInput {
  const get = (name: string): string | undefined => query.find(([k]) => k === name)?.[1];
  const required = ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-SignedHeaders', 'X-Amz-Date'];
  if (required.some((name) => get(name) === undefined)) {
    throw new SigV4Error('IncompleteSignature',
      `AWS query-string parameters must include ${required.map((n) => `'${n}'`).join(', ')}. Re-examine the query-string parameters.`);
  }
  if (get('X-Amz-Algorithm') !== ALGORITHM) {
    throw new SigV4Error('IncompleteSignature', `Unsupported AWS 'algorithm': '${get('X-Amz-Algorithm')}'`);
  }
  const expires = get('X-Amz-Expires');
  const expiresSeconds = expires === undefined ? undefined : Number(expires);
  if (expiresSeconds !== undefined && !(Number.isInteger(expiresSeconds) && expiresSeconds >= 1 && expiresSeconds <= MAX_PRESIGNED_EXPIRES_S)) {
    throw new SigV4Error('IncompleteSignature', `X-Amz-Expires must be an integer between 1 and ${MAX_PRESIGNED_EXPIRES_S}.`);
  }
  const amzDate = get('X-Amz-Date')!;
  return {
    mode: 'presigned',
    ...parseCredential(get('X-Amz-Credential')!),
    signedHeaders: get('X-Amz-SignedHeaders')!.split(';'),
    signature: get('X-Amz-Signature')!,
    amzDate,
    signedAt: parseAmzDate(amzDate),
    sessionToken: get('X-Amz-Security-Token'),
    expiresSeconds,
  };
}

function parseCredential(credential: string): Pick<SignatureInput, 'accessKeyId' | 'scopeDate' | 'scopeRegion' | 'scopeService' | 'scopeTerminator'> {
  const parts = credential.split('/');
  if (parts.length !== 5 || parts.some((p) => p === '')) {
    throw new SigV4Error('IncompleteSignature',
      `Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${credential}'`);
  }
  const [accessKeyId, scopeDate, scopeRegion, scopeService, scopeTerminator] = parts as [string, string, string, string, string];
  return { accessKeyId, scopeDate, scopeRegion, scopeService, scopeTerminator };
}

function parseAmzDate(amzDate: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  const ms = m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : NaN;
  if (!m || Number.isNaN(ms) || toAmzDate(ms) !== amzDate) {
    throw new SigV4Error('IncompleteSignature',
      `Date must be in ISO-8601 'basic format'. Got '${amzDate}'. See http://en.wikipedia.org/wiki/ISO_8601`);
  }
  return ms;
}

/** Formats epoch milliseconds (or an HTTP date) as `YYYYMMDDTHHMMSSZ`. */
export function toAmzDate(value: string | number | undefined): string | undefined {
  if (value === undefined) return undefined;
  const ms = typeof value === 'number' ? value : Date.parse(value);
  if (Number.isNaN(ms)) return undefined;
  return new Date(ms).toISOString().replace(/\.\d{3}/, '').replace(/[-:]/g, '');
}

function checkScope<P>(input: SignatureInput, opts: VerifyOptions<P>): void {
  if (input.scopeTerminator !== 'aws4_request') {
    throw new SigV4Error('SignatureDoesNotMatch',
      `Credential should be scoped with a valid terminator: 'aws4_request', not '${input.scopeTerminator}'. `);
  }
  if (input.scopeService !== opts.service) {
    throw new SigV4Error('SignatureDoesNotMatch', `Credential should be scoped to correct service: '${opts.service}'. `);
  }
  if (input.scopeRegion !== opts.region) {
    throw new SigV4Error('SignatureDoesNotMatch', `Credential should be scoped to a valid region, not '${input.scopeRegion}'. `);
  }
  if (input.scopeDate !== input.amzDate.slice(0, 8)) {
    throw new SigV4Error('SignatureDoesNotMatch',
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${input.scopeDate}' != '${input.amzDate.slice(0, 8)}', from '${input.amzDate}'.`);
  }
  if (!input.signedHeaders.includes('host')) {
    throw new SigV4Error('IncompleteSignature', "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  }
}

function checkTime<P>(input: SignatureInput, opts: VerifyOptions<P>): void {
  const skew = opts.maxSkewMs ?? FIFTEEN_MINUTES_MS;
  const nowText = toAmzDate(opts.now)!;
  if (input.signedAt > opts.now + skew) {
    throw new SigV4Error('SignatureDoesNotMatch',
      `Signature not yet current: ${input.amzDate} is still later than ${toAmzDate(opts.now + skew)} (${nowText} + ${skew / 60_000} min.)`);
  }
  const lifetimeMs = input.mode === 'header' ? skew : presignedLifetimeMs(input, opts);
  if (input.signedAt + lifetimeMs < opts.now) {
    const limit = input.mode === 'header' ? `${nowText} - ${skew / 60_000} min.` : `${nowText} - ${lifetimeMs / 1000} sec.`;
    throw new SigV4Error('SignatureDoesNotMatch',
      `Signature expired: ${input.amzDate} is now earlier than ${toAmzDate(opts.now - lifetimeMs)} (${limit})`);
  }
}

function presignedLifetimeMs<P>(input: SignatureInput, opts: VerifyOptions<P>): number {
  if (opts.presignedLifetime === 'fifteen-minutes') return FIFTEEN_MINUTES_MS;
  if (input.expiresSeconds === undefined) {
    throw new SigV4Error('IncompleteSignature', "AWS query-string parameters must include 'X-Amz-Expires'.");
  }
  return input.expiresSeconds * 1000;
}

function checkSessionToken<P>(input: SignatureInput, key: SigningKey<P>, now: number): void {
  if (key.sessionToken === undefined ? input.sessionToken !== undefined : !constantTimeEqual(input.sessionToken ?? '', key.sessionToken)) {
    throw new SigV4Error('InvalidClientTokenId', 'The security token included in the request is invalid.');
  }
  if (key.expiresAt !== undefined && key.expiresAt <= now) {
    throw new SigV4Error('ExpiredToken', 'The security token included in the request is expired');
  }
}

function checkSignature(req: WireRequest, query: [string, string][], input: SignatureInput, secret: string): void {
  const payloadHash = payloadHashOf(req, input);
  const canonical = canonicalRequest(req, query, input.signedHeaders, payloadHash);
  const scope = `${input.scopeDate}/${input.scopeRegion}/${input.scopeService}/aws4_request`;
  const stringToSign = [ALGORITHM, input.amzDate, scope, sha256Hex(canonical)].join('\n');
  const expected = signatureFor(secret, input.scopeDate, input.scopeRegion, input.scopeService, stringToSign);
  if (!constantTimeEqual(expected, input.signature.toLowerCase())) {
    throw new SigV4Error('SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.\n\n' +
      `The Canonical String for this request should have been\n'${canonical}'\n\nThe String-to-Sign should have been\n'${stringToSign}'\n`);
  }
}

function payloadHashOf(req: WireRequest, input: SignatureInput): string {
  const actual = req.body.length === 0 ? EMPTY_SHA256 : sha256Hex(req.body);
  const declared = headerValues(req.headers, 'x-amz-content-sha256')[0];
  if (input.mode === 'header' && declared !== undefined && declared !== actual) {
    throw new SigV4Error('SignatureDoesNotMatch', "The provided 'x-amz-content-sha256' header does not match what was computed.");
  }
  return actual;
}

/** The SigV4 canonical request for `req`, given the signed header names (lower case). */
export function canonicalRequest(req: WireRequest, query: [string, string][], signedHeaders: string[], payloadHash: string): string {
  return [
    req.method.toUpperCase(),
    canonicalUri(req.rawPath),
    canonicalQuery(query),
    signedHeaders.map((name) => `${name}:${canonicalHeaderValue(req.headers, name)}\n`).join(''),
    signedHeaders.join(';'),
    payloadHash,
  ].join('\n');
}

/**
 * Non-S3 services normalise the path (drop empty, `.` and `..` segments) and URI-encode the
 * already-encoded path once more, so `%20` on the wire becomes `%2520`.
 */
export function canonicalUri(rawPath: string): string {
  const segments: string[] = [];
  for (const segment of rawPath.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const trailing = segments.length > 0 && rawPath.endsWith('/') ? '/' : '';
  return `/${segments.map(uriEncode).join('/')}${trailing}`;
}

/** Sorted `name=value` pairs, each side RFC 3986 encoded; X-Amz-Signature is left out. */
export function canonicalQuery(query: [string, string][]): string {
  return query
    .filter(([k]) => k !== 'X-Amz-Signature')
    .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

function canonicalHeaderValue(headers: WireRequest['headers'], name: string): string {
  return headerValues(headers, name).map((v) => v.trim().replace(/\s+/g, ' ')).join(',');
}

/** Decodes a raw query into name/value pairs; `+` stays a literal plus, as SigV4 signers encode spaces as `%20`. */
export function parseRawQuery(rawQuery: string): [string, string][] {
  if (rawQuery === '') return [];
  return rawQuery.split('&').filter(Boolean).map((pair) => {
    const eq = pair.indexOf('=');
    const [k, v] = eq < 0 ? [pair, ''] : [pair.slice(0, eq), pair.slice(eq + 1)];
    return [safeDecode(k), safeDecode(v)];
  });
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new SigV4Error('IncompleteSignature', 'The request contains a malformed percent-encoded query parameter.');
  }
}

/** RFC 3986 encoding as SigV4 demands: everything but A–Z a–z 0–9 - _ . ~ is %XX (upper hex). */
export function uriEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function headerValues(headers: WireRequest['headers'], name: string): string[] {
  return headers.filter(([k]) => k.toLowerCase() === name).map(([, v]) => v);
}

/** The hex signature of `stringToSign` under the key derived from `secret` and the scope. */
export function signatureFor(secret: string, date: string, region: string, service: string, stringToSign: string): string {
  let key: Buffer = hmac(`AWS4${secret}`, date);
  for (const part of [region, service, 'aws4_request']) key = hmac(key, part);
  return createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function constantTimeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}
