/**
 * The simulated AWS Security Token Service: the query protocol (2011-06-15) over HTTPS with
 * AssumeRole, AssumeRoleWithWebIdentity and GetCallerIdentity, authenticating callers with
 * SigV4 against the account's directory.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BodyTooLarge, listenHttps, readBody, wireRequest, type AwsEndpointOptions, type Endpoint } from './https-server.js';
import type { Principal, Role, Session, SessionTag } from './iam.js';
import { assumedRoleArn } from './iam.js';
import { StsError, wantsJson, writeError, writeResult, type Field } from './query-protocol.js';
import { SigV4Error, verifySigV4, type VerifyOptions } from './sigv4.js';
import { verifyWebIdentityToken } from './web-identity.js';

export interface StsOptions extends AwsEndpointOptions {
  presignedLifetime: NonNullable<VerifyOptions<Principal>['presignedLifetime']>;
}

type Params = Map<string, string>;

interface Call {
  params: Params;
  caller?: Principal;
}

const VERSION = '2011-06-15';
const NAME_PATTERN = /^[\w+=,.@-]*$/;
const TAG_KEY_PATTERN = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$/u;
const TAG_VALUE_PATTERN = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const CHAINED_MAX_SECONDS = 3600;

/** Starts STS on an ephemeral loopback port. */
export async function startSts(opts: StsOptions): Promise<Endpoint> {
  return listenHttps(opts.tls, (req, res) => serve(req, res, opts), (err) => opts.log(`sts: internal error ${String(err)}`));
}

async function serve(req: IncomingMessage, res: ServerResponse, opts: StsOptions): Promise<void> {
  const reply = { requestId: randomUUID(), json: wantsJson(req.headers.accept), now: opts.now() };
  let action = '(none)';
  try {
    if (req.method !== 'GET' && req.method !== 'POST') {
      throw new StsError('InvalidHttpRequest', `The HTTP method ${req.method} is not supported by STS.`, 405);
    }
    const body = await readBody(req);
    const params = requestParams(req, body);
    action = params.get('Action') ?? '(none)';
    checkAction(params);
    const caller = action === 'AssumeRoleWithWebIdentity' ? undefined : authenticate(req, body, opts);
    const result = await perform(action, { params, ...(caller ? { caller } : {}) }, opts);
    opts.counters.count(`sts:${action}`);
    writeResult(res, action, result, reply);
  } catch (err) {
    const stsError = asStsError(err);
    opts.counters.count(`sts:${action}:${stsError.code}`);
    opts.log(`sts: ${req.method} ${action} rejected with ${stsError.code} (${stsError.status}): ${stsError.message.split('\n')[0]}`);
    writeError(res, stsError, reply);
  }
}

function asStsError(err: unknown): StsError {
  if (err instanceof StsError) return err;
  if (err instanceof SigV4Error) return new StsError(err.code, err.message, err.status);
  if (err instanceof BodyTooLarge) return new StsError('RequestEntityTooLarge', 'Request body is too large.', 413);
  return new StsError('InternalFailure', 'The request processing has failed because of an unknown error.', 500, 'Receiver');
}

/** Query-string parameters, then (for a form POST) body parameters; SigV4 query parameters are auth, not input. */
function requestParams(req: IncomingMessage, body: Buffer): Params {
  const params: Params = new Map();
  const target = req.url ?? '/';
  const q = target.indexOf('?');
  const add = (source: URLSearchParams): void => {
    for (const [k, v] of source) if (!k.startsWith('X-Amz-')) params.set(k, v);
  };
  if (q >= 0) add(new URLSearchParams(target.slice(q + 1)));
  const contentType = req.headers['content-type'] ?? '';
  if (req.method === 'POST' && body.length > 0) {
    if (!/^application\/x-www-form-urlencoded\b/i.test(contentType)) {
      throw new StsError('InvalidParameterValue', `Unsupported Content-Type '${contentType}'; STS takes application/x-www-form-urlencoded.`);
    }
    add(new URLSearchParams(body.toString('utf8')));
  }
  return params;
}

function checkAction(params: Params): void {
  const action = params.get('Action');
  if (action === undefined) throw new StsError('MissingAction', 'Missing Action');
  const version = params.get('Version');
  if (version !== VERSION || !['AssumeRole', 'AssumeRoleWithWebIdentity', 'GetCallerIdentity'].includes(action)) {
    throw new StsError('InvalidAction', `Could not find operation ${action} for version ${version ?? 'NO_VERSION_SPECIFIED'}`);
  }
}

function authenticate(req: IncomingMessage, body: Buffer, opts: StsOptions): Principal {
  return verifySigV4(wireRequest(req, body), {
    service: 'sts',
    region: opts.region,
    now: opts.now(),
    lookup: (id) => opts.directory.signingKey(id),
    presignedLifetime: opts.presignedLifetime,
  }).principal;
}

async function perform(action: string, call: Call, opts: StsOptions): Promise<Record<string, Field>> {
  switch (action) {
    case 'AssumeRole': return assumeRole(call, opts);
    case 'AssumeRoleWithWebIdentity': return assumeRoleWithWebIdentity(call, opts);
    default: return getCallerIdentity(call.caller!, opts);
  }
}

function getCallerIdentity(caller: Principal, opts: StsOptions): Record<string, Field> {
  return { Arn: caller.arn, UserId: caller.userId, Account: opts.directory.accountId };
}

function assumeRole(call: Call, opts: StsOptions): Record<string, Field> {
  const caller = call.caller!;
  const { params } = call;
  const inherited = caller.kind === 'assumed-role' ? caller.session : undefined;
  const problems = [
    ...commonProblems(params),
    ...nameProblems(params.get('SourceIdentity'), 'sourceIdentity', false),
  ];
  const tags = readTags(params, problems);
  const transitiveTagKeys = readMembers(params, 'TransitiveTagKeys');
  throwValidation(problems);
  const roleArn = params.get('RoleArn')!;
  const role = opts.directory.roleByArn(roleArn);
  if (!role || !opts.directory.trusts(role, caller)) {
    throw new StsError('AccessDenied', `User: ${caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`, 403);
  }
  const sourceIdentity = params.get('SourceIdentity') ?? inherited?.sourceIdentity;
  if (inherited?.sourceIdentity !== undefined && sourceIdentity !== inherited.sourceIdentity) {
    throw new StsError('AccessDenied', 'SourceIdentity cannot be changed once set on a role session.', 403);
  }
  const durationSeconds = sessionDuration(params, role, inherited !== undefined);
  const inheritedTags = (inherited?.tags ?? []).filter((t) => inherited!.transitiveTagKeys.includes(t.key));
  const session = opts.directory.issueSession({
    expiresAt: opts.now() + durationSeconds * 1000,
    roleArn: role.arn,
    sessionName: params.get('RoleSessionName')!,
    via: 'AssumeRole',
    issuedTo: caller.arn,
    ...(sourceIdentity !== undefined ? { sourceIdentity } : {}),
    tags: [...tags, ...inheritedTags.filter((t) => !tags.some((o) => o.key.toLowerCase() === t.key.toLowerCase()))],
    transitiveTagKeys: [...new Set([...transitiveTagKeys, ...(inherited?.transitiveTagKeys ?? [])])],
    chained: inherited !== undefined,
  });
  return {
    ...sessionResult(session, role, opts),
    PackedPolicySize: params.has('Policy') || tags.length > 0 ? Math.min(100, 5 + tags.length * 2) : undefined,
    SourceIdentity: session.sourceIdentity,
  };
}

async function assumeRoleWithWebIdentity(call: Call, opts: StsOptions): Promise<Record<string, Field>> {
  const { params } = call;
  const problems = commonProblems(params);
  const token = params.get('WebIdentityToken');
  if (token === undefined) problems.push("Value null at 'webIdentityToken' failed to satisfy constraint: Member must not be null");
  else if (token.length < 4 || token.length > 20000) {
    problems.push("Value at 'webIdentityToken' failed to satisfy constraint: Member must have length between 4 and 20000");
  }
  throwValidation(problems);
  const identity = await verifyWebIdentityToken(token!, opts.directory, { ca: opts.tls.ca.cert, now: opts.now() });
  const role = opts.directory.roleByArn(params.get('RoleArn')!);
  if (!role || !role.trustedWebIdentityProviders.includes(identity.provider.arn)) {
    throw new StsError('AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity', 403);
  }
  const durationSeconds = sessionDuration(params, role, false);
  const session = opts.directory.issueSession({
    expiresAt: opts.now() + durationSeconds * 1000,
    roleArn: role.arn,
    sessionName: params.get('RoleSessionName')!,
    via: 'AssumeRoleWithWebIdentity',
    issuedTo: identity.provider.arn,
    tags: [],
    transitiveTagKeys: [],
    webIdentitySubject: identity.subject,
    chained: false,
  });
  return {
    ...sessionResult(session, role, opts),
    SubjectFromWebIdentityToken: identity.subject,
    Provider: identity.provider.arn,
    Audience: identity.audience,
  };
}

function sessionResult(session: Session, role: Role, opts: StsOptions): Record<string, Field> {
  return {
    AssumedRoleUser: {
      AssumedRoleId: `${role.roleId}:${session.sessionName}`,
      Arn: assumedRoleArn(opts.directory.accountId, role, session.sessionName),
    },
    Credentials: {
      AccessKeyId: session.accessKeyId,
      SecretAccessKey: session.secretAccessKey,
      SessionToken: session.sessionToken,
      Expiration: new Date(Math.floor(session.expiresAt / 1000) * 1000),
    },
  };
}

/** Validation shared by both AssumeRole flavours: RoleArn, RoleSessionName, DurationSeconds. */
function commonProblems(params: Params): string[] {
  const problems: string[] = [];
  const roleArn = params.get('RoleArn');
  if (roleArn === undefined) problems.push("Value null at 'roleArn' failed to satisfy constraint: Member must not be null");
  else if (roleArn.length < 20 || roleArn.length > 2048) {
    problems.push(`Value '${roleArn}' at 'roleArn' failed to satisfy constraint: Member must have length between 20 and 2048`);
  }
  problems.push(...nameProblems(params.get('RoleSessionName'), 'roleSessionName', true));
  const duration = params.get('DurationSeconds');
  if (duration !== undefined) {
    const n = Number(duration);
    if (!Number.isInteger(n)) problems.push(`Value '${duration}' at 'durationSeconds' failed to satisfy constraint: Member must be an integer`);
    else if (n < 900) problems.push(`Value '${duration}' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900`);
    else if (n > 43200) problems.push(`Value '${duration}' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 43200`);
  }
  return problems;
}

/** RoleSessionName and SourceIdentity share `[\w+=,.@-]{2,64}`. */
function nameProblems(value: string | undefined, field: string, required: boolean): string[] {
  if (value === undefined) return required ? [`Value null at '${field}' failed to satisfy constraint: Member must not be null`] : [];
  const problems: string[] = [];
  if (value.length < 2) problems.push(`Value '${value}' at '${field}' failed to satisfy constraint: Member must have length greater than or equal to 2`);
  if (value.length > 64) problems.push(`Value '${value}' at '${field}' failed to satisfy constraint: Member must have length less than or equal to 64`);
  if (!NAME_PATTERN.test(value)) {
    problems.push(`Value '${value}' at '${field}' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`);
  }
  return problems;
}

function readTags(params: Params, problems: string[]): SessionTag[] {
  const tags: SessionTag[] = [];
  for (let i = 1; params.has(`Tags.member.${i}.Key`); i++) {
    const key = params.get(`Tags.member.${i}.Key`)!;
    const value = params.get(`Tags.member.${i}.Value`) ?? '';
    if (key.length < 1 || key.length > 128 || !TAG_KEY_PATTERN.test(key)) {
      problems.push(`Value '${key}' at 'tags.${i}.member.key' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+`);
    }
    if (value.length > 256 || !TAG_VALUE_PATTERN.test(value)) {
      problems.push(`Value '${value}' at 'tags.${i}.member.value' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*`);
    }
    tags.push({ key, value });
  }
  if (tags.length > 50) problems.push("Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50");
  const lowered = tags.map((t) => t.key.toLowerCase());
  if (new Set(lowered).size !== lowered.length) {
    throw new StsError('InvalidParameterValue', 'Duplicate tag keys found. Please note that Tag keys are case insensitive.');
  }
  return tags;
}

function readMembers(params: Params, name: string): string[] {
  const members: string[] = [];
  for (let i = 1; params.has(`${name}.member.${i}`); i++) members.push(params.get(`${name}.member.${i}`)!);
  return members;
}

function throwValidation(problems: string[]): void {
  if (problems.length === 0) return;
  const count = problems.length === 1 ? '1 validation error' : `${problems.length} validation errors`;
  throw new StsError('ValidationError', `${count} detected: ${problems.join('; ')}`);
}

function sessionDuration(params: Params, role: Role, chained: boolean): number {
  const requested = params.get('DurationSeconds');
  const seconds = requested === undefined ? 3600 : Number(requested);
  if (chained && seconds > CHAINED_MAX_SECONDS) {
    throw new StsError('ValidationError', 'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.');
  }
  if (seconds > role.maxSessionDurationSeconds) {
    throw new StsError('ValidationError', 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.');
  }
  return seconds;
}
