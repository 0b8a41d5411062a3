/**
 * What a Secret keeps in clear when kgate masks it: only what a user needs to find, relate and
 * manage the object, and only in the shape the apiserver itself would store there. Everything
 * else in a Secret, whatever field it sits in, is masked.
 *
 * In clear:
 * - `kind`, `apiVersion`; `type` when it is a built-in type (`Opaque`, `kubernetes.io/…`,
 *   `bootstrap.kubernetes.io/token`); `immutable` (a boolean);
 * - identity the apiserver sets and no patch can change: `metadata.name`, `namespace`, `uid`,
 *   `resourceVersion`, `generation`, `creationTimestamp`, `deletionTimestamp`,
 *   `deletionGracePeriodSeconds`;
 * - every key: of `data`, labels, annotations, managedFields' `fieldsV1`;
 * - label values that are valid label values; `ownerReferences` identifiers (`apiVersion`,
 *   `kind`, `name`, `uid`, `controller`, `blockOwnerDeletion`); `finalizers` that are qualified
 *   names; managedFields' `manager`, `operation`, `apiVersion`, `time`, `fieldsType` and
 *   `subresource`; the values of the annotations that name a service account or a Helm release,
 *   and the watch bookmark's `k8s.io/initial-events-end`.
 *   These are free text a write could set, so each must also pass the detectors and must not
 *   contain one of the Secret's own values (src/mask/known-values.ts).
 *
 * Masked: every `data` and `stringData` value, every other annotation value (the last-applied
 * annotation is parsed and masked as the Secret it describes), `generateName`, any other `type`,
 * and any field not named above. Pure.
 */

/** Secret types Kubernetes defines (core/v1 types.go, bootstrap tokens). */
export const BUILTIN_SECRET_TYPES: ReadonlySet<string> = new Set([
  'Opaque',
  'kubernetes.io/service-account-token',
  'kubernetes.io/dockercfg',
  'kubernetes.io/dockerconfigjson',
  'kubernetes.io/basic-auth',
  'kubernetes.io/ssh-auth',
  'kubernetes.io/tls',
  'bootstrap.kubernetes.io/token',
]);

/**
 * Annotations whose values only name another object or signal the API's own protocol, each with
 * the shape its value keeps in clear: the service account a token Secret belongs to, the Helm
 * release, and the watch bookmark that ends the initial events (client-go's reflector reads it).
 */
export const CLEAR_ANNOTATIONS: ReadonlyMap<string, (value: unknown) => boolean> = new Map<string, (value: unknown) => boolean>([
  ['kubernetes.io/service-account.name', isObjectName],
  ['kubernetes.io/service-account.uid', isUid],
  ['meta.helm.sh/release-name', isObjectName],
  ['meta.helm.sh/release-namespace', isObjectName],
  ['k8s.io/initial-events-end', (v) => v === 'true' || v === 'false'],
]);

/** The identity fields of `metadata`, set by the apiserver, each with the shape it has there. */
export const IDENTITY_FIELDS: ReadonlyMap<string, (value: unknown) => boolean> = new Map<string, (value: unknown) => boolean>([
  ['name', isObjectName],
  ['namespace', isObjectName],
  ['uid', isUid],
  ['resourceVersion', (v) => typeof v === 'string' && /^[0-9]{1,20}$/.test(v)],
  ['generation', isCount],
  ['creationTimestamp', isTimestamp],
  ['deletionTimestamp', isTimestamp],
  ['deletionGracePeriodSeconds', isCount],
]);

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const UID = /^[0-9a-fA-F][0-9a-fA-F-]{0,63}$/;
const API_VERSION = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?v[0-9]+((alpha|beta)[0-9]+)?$/;
const KIND = /^[A-Z][A-Za-z0-9]{0,62}$/;
/** A field manager as kubectl and controllers name themselves (a user agent is cut at its `/`). */
const MANAGER = /^[A-Za-z0-9][-A-Za-z0-9_.:@ ]{0,127}$/;
/** A server-side-printed age, as kubectl's Table shows it: `5m`, `3d4h`, `<unknown>`. */
const AGE = /^(?:<unknown>|<invalid>|\d+[smhdy](?:\d+[smhdy])?)$/;

function isCount(value: unknown): boolean {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** A DNS-1123 subdomain (object and namespace names). */
export function isObjectName(value: unknown): boolean {
  return typeof value === 'string' && value.length <= 253 && DNS_SUBDOMAIN.test(value);
}

/** A uid as the apiserver writes them (a UUID), loosely: hex digits and dashes. */
export function isUid(value: unknown): boolean {
  return typeof value === 'string' && UID.test(value);
}

/** An RFC 3339 timestamp, as metav1.Time serialises. */
export function isTimestamp(value: unknown): boolean {
  return typeof value === 'string' && RFC3339.test(value);
}

/** A valid label value: at most 63 characters of `[A-Za-z0-9_.-]`, alphanumeric at both ends. */
export function isLabelValue(value: unknown): boolean {
  return typeof value === 'string' && value.length <= 63 && LABEL_VALUE.test(value);
}

/** A qualified name (`name` or `prefix/name`, as finalizers must be). */
export function isQualifiedName(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  const slash = value.indexOf('/');
  const name = slash < 0 ? value : value.slice(slash + 1);
  if (name.length > 63 || !QUALIFIED_NAME_PART.test(name)) return false;
  if (slash < 0) return true;
  const prefix = value.slice(0, slash);
  return prefix.length > 0 && prefix.length <= 253 && DNS_SUBDOMAIN.test(prefix);
}

/** The shape each `ownerReferences` member keeps in clear. */
export const OWNER_REFERENCE_FIELDS: ReadonlyMap<string, (value: unknown) => boolean> = new Map<string, (value: unknown) => boolean>([
  ['apiVersion', (v) => typeof v === 'string' && API_VERSION.test(v)],
  ['kind', (v) => typeof v === 'string' && KIND.test(v)],
  ['name', (v) => typeof v === 'string' && v.length <= 253 && /^[A-Za-z0-9][-A-Za-z0-9_.:]*$/.test(v)],
  ['uid', isUid],
  ['controller', (v) => typeof v === 'boolean'],
  ['blockOwnerDeletion', (v) => typeof v === 'boolean'],
]);

/** The shape each `managedFields` member keeps in clear (`fieldsV1` keeps its keys only). */
export const MANAGED_FIELDS_FIELDS: ReadonlyMap<string, (value: unknown) => boolean> = new Map<string, (value: unknown) => boolean>([
  ['manager', (v) => typeof v === 'string' && MANAGER.test(v)],
  ['operation', (v) => v === 'Apply' || v === 'Update'],
  ['apiVersion', (v) => typeof v === 'string' && API_VERSION.test(v)],
  ['time', isTimestamp],
  ['fieldsType', (v) => v === 'FieldsV1'],
  ['subresource', (v) => typeof v === 'string' && /^[a-z]{0,63}$/.test(v)],
]);

/** The `kind` / `apiVersion` of a Secret, or the PartialObjectMetadata that stands for one. */
export function isTypeMetaValue(key: 'kind' | 'apiVersion', value: unknown): boolean {
  return typeof value === 'string' && (key === 'kind' ? KIND : API_VERSION).test(value);
}

/**
 * A cell of a Secret Table row kept in clear: the name (first column), a built-in type, the data
 * count and the age the apiserver prints (columns Name, Type, Data, Age).
 */
export function isClearSecretCell(value: unknown, index: number): boolean {
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return true;
  if (typeof value !== 'string') return false;
  if (index === 0) return isObjectName(value);
  return BUILTIN_SECRET_TYPES.has(value) || AGE.test(value);
}
