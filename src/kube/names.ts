/**
 * Validation of the URL parts the policy decides on. Stricter than the apiserver where that costs
 * nothing legal: every accepted value means one thing to every parser.
 */

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const VERSION = /^[a-z0-9]+$/;
const RESOURCE = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const SUBRESOURCE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
// `:` for RBAC system names and `scheme:name:port` proxy targets, `@` for user-named bindings.
const NAME = /^[A-Za-z0-9._:@-]+$/;

/** A namespace: an RFC 1123 label of at most 63 characters. */
export function isNamespace(value: string): boolean {
  return value.length <= 63 && DNS_LABEL.test(value);
}

/** An API group: an RFC 1123 subdomain of at most 253 characters. */
export function isApiGroup(value: string): boolean {
  return value.length <= 253 && DNS_SUBDOMAIN.test(value);
}

/** An API version such as `v1` or `v1beta1`. */
export function isApiVersion(value: string): boolean {
  return value.length <= 63 && VERSION.test(value);
}

/** A resource (plural) name; CRD plurals are lowercase DNS-like names. */
export function isResourceName(value: string): boolean {
  return value.length <= 253 && RESOURCE.test(value);
}

/** A subresource such as `status`, `exec` or `ephemeralcontainers`. */
export function isSubresourceName(value: string): boolean {
  return value.length <= 63 && SUBRESOURCE.test(value);
}

/** Like apimachinery's content.IsPathSegmentName: not `.` or `..`, no `/` or `%`. */
export function isPathSegmentName(value: string): boolean {
  return value !== '.' && value !== '..' && !value.includes('/') && !value.includes('%');
}

/** An object name: a path segment name from a conservative charset, at most 253 characters. */
export function isObjectName(value: string): boolean {
  return value.length <= 253 && isPathSegmentName(value) && NAME.test(value);
}
