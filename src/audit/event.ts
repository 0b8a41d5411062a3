/**
 * The broker's audit event: an `audit.k8s.io/v1` `Event` exactly as kube-apiserver writes it
 * (apiserver pkg/apis/audit/v1/types.go, filled as in pkg/audit/request.go, docs/k8s-protocol.md §8), so SIEM
 * parsers and Falco read it unchanged, with kgate's own facts in `annotations["kgate.dev/…"]`.
 * Properties are created in the Go structs' field order, so the JSON reads like the apiserver's.
 */
import type { RequestInfo } from '../kube/request-info.js';

export type AuditLevel = 'Metadata' | 'Request' | 'RequestResponse';
export type AuditStage = 'RequestReceived' | 'ResponseStarted' | 'ResponseComplete' | 'Panic';
export type AuditDecision = 'allow' | 'deny' | 'approve' | 'error';
export type PrincipalType = 'human' | 'workload';

/** `authentication/v1` UserInfo. */
export interface AuditUser {
  username: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

/** The apiserver's `ObjectReference` (absent for non-resource requests; no name for lists). */
export interface AuditObjectRef {
  resource?: string;
  namespace?: string;
  name?: string;
  apiGroup?: string;
  apiVersion?: string;
  subresource?: string;
}

/** The bounded `metav1.Status` fields the apiserver copies; for success only `code`. */
export interface AuditResponseStatus {
  metadata: Record<string, never>;
  status?: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  code: number;
}

// A type alias, not an interface, so an event is assignable to `Record<string, unknown>` (what
// `PolicyClient.ingestAudit` takes) without a cast.
/** An `audit.k8s.io/v1` Event. */
export type AuditEvent = {
  kind: 'Event';
  apiVersion: 'audit.k8s.io/v1';
  level: AuditLevel;
  auditID: string;
  stage: AuditStage;
  requestURI: string;
  verb: string;
  user: AuditUser;
  sourceIPs?: string[];
  userAgent?: string;
  objectRef?: AuditObjectRef;
  responseStatus?: AuditResponseStatus;
  requestObject?: unknown;
  responseObject?: unknown;
  requestReceivedTimestamp: string;
  stageTimestamp: string;
  annotations?: Record<string, string>;
};

/** The annotation keys kgate adds; the policy service's own events use the same ones. */
export const KGATE_ANNOTATIONS = {
  principal: 'kgate.dev/principal',
  principalType: 'kgate.dev/principal-type',
  issuer: 'kgate.dev/issuer',
  grant: 'kgate.dev/grant',
  cluster: 'kgate.dev/cluster',
  policyRule: 'kgate.dev/policy-rule',
  decision: 'kgate.dev/decision',
  approval: 'kgate.dev/approval',
  maskedFields: 'kgate.dev/masked-fields',
  recording: 'kgate.dev/recording-id',
  session: 'kgate.dev/session',
  chainSeq: 'kgate.dev/chain-seq',
  chainPrev: 'kgate.dev/chain-prev',
  chainHash: 'kgate.dev/chain-hash',
  /** On the last event of a session: the session ended here, so nothing after it is missing. */
  chainEnd: 'kgate.dev/chain-end',
} as const;

/** kgate's facts about one request. */
export interface KgateFacts {
  /** `issuer#subject`, as the policy service names principals. */
  principal: string;
  principalType: PrincipalType;
  issuer: string;
  grant?: string;
  cluster?: string;
  policyRule?: string;
  decision: AuditDecision;
  approvalId?: string;
  /** How many values the masker replaced in the response. */
  maskedFields?: number;
  recordingId?: string;
}

export interface AuditEventInput {
  auditID: string;
  stage: AuditStage;
  /** The canonical URL the broker forwarded (path and query), never the raw one the client sent. */
  requestURI: string;
  verb: string;
  user: AuditUser;
  sourceIPs?: string[];
  userAgent?: string;
  objectRef?: AuditObjectRef;
  /** The HTTP status; `status`, `reason` and `message` only for failures. */
  responseStatus?: Omit<AuditResponseStatus, 'metadata'>;
  /** Epoch milliseconds (fractions keep microseconds) or a Date. */
  requestReceivedAt: number | Date;
  stageAt: number | Date;
  /** Default `Metadata`; lowered to `Metadata` whatever is asked for sensitive resources. */
  level?: AuditLevel;
  /** Kept only at `Request` level or above, for resource requests that are not sensitive. */
  requestObject?: unknown;
  /** Kept only at `RequestResponse` level, for resource requests that are not sensitive. */
  responseObject?: unknown;
  kgate: KgateFacts;
  /** Further annotations (e.g. `authorization.k8s.io/decision`); kgate's own keys win. */
  annotations?: Record<string, string>;
}

/** The apiserver's `maxUserAgentLength` and `userAgentTruncateSuffix` (pkg/audit/request.go). */
const MAX_USER_AGENT_BYTES = 1024;
const USER_AGENT_TRUNCATED = '...TRUNCATED';

/**
 * Resources whose bodies are never logged: the standard audit policy logs them at Metadata only
 * because their bodies carry credentials (kubernetes/website audit-policy.yaml, docs/k8s-protocol.md §8).
 */
const METADATA_ONLY = new Set(['secrets', 'configmaps', 'tokenreviews', 'tokenrequests', 'serviceaccounts/token']);

/**
 * Builds one audit Event. Pure: the caller supplies the id and the times.
 * Bodies are dropped below their level, for non-resource requests, and always for secrets,
 * ConfigMaps and token requests and reviews, whose bodies hold credentials.
 */
export function buildAuditEvent(input: AuditEventInput): AuditEvent {
  const level = effectiveLevel(input.level ?? 'Metadata', input.objectRef);
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level,
    auditID: input.auditID,
    stage: input.stage,
    requestURI: input.requestURI,
    verb: input.verb,
    user: userInfo(input.user),
    ...(input.sourceIPs?.length ? { sourceIPs: [...input.sourceIPs] } : {}),
    ...(input.userAgent ? { userAgent: truncateUserAgent(input.userAgent) } : {}),
    ...(input.objectRef ? { objectRef: objectRef(input.objectRef) } : {}),
    ...(input.responseStatus ? { responseStatus: responseStatus(input.responseStatus) } : {}),
    ...(level !== 'Metadata' && input.requestObject !== undefined ? { requestObject: input.requestObject } : {}),
    ...(level === 'RequestResponse' && input.responseObject !== undefined ? { responseObject: input.responseObject } : {}),
    requestReceivedTimestamp: microTime(input.requestReceivedAt),
    stageTimestamp: microTime(input.stageAt),
    annotations: { ...input.annotations, ...kgateAnnotations(input.kgate) },
  };
}

/** The `objectRef` the apiserver derives from a resource request's RequestInfo; undefined otherwise. */
export function objectRefOf(info: RequestInfo): AuditObjectRef | undefined {
  if (!info.isResourceRequest) return undefined;
  return objectRef({
    resource: info.resource,
    namespace: info.namespace,
    name: info.name,
    apiGroup: info.apiGroup,
    apiVersion: info.apiVersion,
    subresource: info.subresource,
  });
}

/**
 * A `metav1.MicroTime` as Go marshals it: RFC 3339 in UTC with exactly six fractional digits.
 * @param at epoch milliseconds (a fraction carries microseconds) or a Date
 */
export function microTime(at: number | Date): string {
  const micros = Math.round((typeof at === 'number' ? at : at.getTime()) * 1000);
  const millis = Math.floor(micros / 1000);
  const iso = new Date(millis).toISOString();
  const fraction = String(micros - millis * 1000).padStart(3, '0');
  return `${iso.slice(0, 23)}${fraction}Z`;
}

/**
 * Truncates a User-Agent as the apiserver does: past 1024 bytes, the first 1024 bytes plus
 * `...TRUNCATED`. Unlike Go's byte slice this never splits a UTF-8 sequence.
 */
export function truncateUserAgent(userAgent: string): string {
  const bytes = Buffer.from(userAgent, 'utf8');
  if (bytes.length <= MAX_USER_AGENT_BYTES) return userAgent;
  let end = MAX_USER_AGENT_BYTES;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end -= 1;
  return bytes.subarray(0, end).toString('utf8') + USER_AGENT_TRUNCATED;
}

function effectiveLevel(level: AuditLevel, ref: AuditObjectRef | undefined): AuditLevel {
  if (!ref?.resource) return 'Metadata';
  const resource = ref.subresource ? `${ref.resource}/${ref.subresource}` : ref.resource;
  return METADATA_ONLY.has(ref.resource) || METADATA_ONLY.has(resource) ? 'Metadata' : level;
}

function userInfo(user: AuditUser): AuditUser {
  const out: AuditUser = { username: user.username };
  if (user.uid) out.uid = user.uid;
  if (user.groups?.length) out.groups = [...user.groups];
  if (user.extra && Object.keys(user.extra).length) out.extra = structuredClone(user.extra);
  return out;
}

// Go's omitempty: empty strings are left out, in ObjectReference's field order.
function objectRef(ref: AuditObjectRef): AuditObjectRef {
  const out: AuditObjectRef = {};
  for (const key of ['resource', 'namespace', 'name', 'apiGroup', 'apiVersion', 'subresource'] as const) {
    if (ref[key]) out[key] = ref[key];
  }
  return out;
}

function responseStatus(status: Omit<AuditResponseStatus, 'metadata'>): AuditResponseStatus {
  return {
    metadata: {},
    ...(status.status ? { status: status.status } : {}),
    ...(status.message ? { message: status.message } : {}),
    ...(status.reason ? { reason: status.reason } : {}),
    code: status.code,
  };
}

function kgateAnnotations(facts: KgateFacts): Record<string, string> {
  const k = KGATE_ANNOTATIONS;
  const out: Record<string, string> = {
    [k.principal]: facts.principal,
    [k.principalType]: facts.principalType,
    [k.issuer]: facts.issuer,
    [k.decision]: facts.decision,
  };
  if (facts.grant) out[k.grant] = facts.grant;
  if (facts.cluster) out[k.cluster] = facts.cluster;
  if (facts.policyRule) out[k.policyRule] = facts.policyRule;
  if (facts.approvalId) out[k.approval] = facts.approvalId;
  if (facts.maskedFields !== undefined) out[k.maskedFields] = String(facts.maskedFields);
  if (facts.recordingId) out[k.recording] = facts.recordingId;
  return out;
}
