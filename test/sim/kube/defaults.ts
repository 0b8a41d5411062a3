/**
 * What the apiserver's registry strategies do to an incoming object before it is stored:
 * defaulting (PrepareForCreate/Update plus API defaults) and the validation that clients see
 * as 422 Invalid.
 */
import type { ResourceType } from './resources.js';
import { StatusError, type KubeObject } from './types.js';

interface FieldErr { type: 'FieldValueInvalid' | 'FieldValueRequired'; field: string; detail: string; value?: string }

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SUBDOMAIN_MSG = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

function errorText(e: FieldErr): string {
  return e.type === 'FieldValueRequired' ? `Required value${e.detail ? `: ${e.detail}` : ''}` : `Invalid value: ${JSON.stringify(e.value ?? '')}: ${e.detail}`;
}

/** errors.NewInvalid: `Kind "name" is invalid: field: detail` with one cause per error. */
export function invalid(t: ResourceType, name: string, errors: FieldErr[]): StatusError {
  const texts = errors.map((e) => `${e.field}: ${errorText(e)}`);
  const summary = texts.length === 1 ? texts[0] : `[${texts.join(', ')}]`;
  return new StatusError(422, 'Invalid', `${t.kind} ${JSON.stringify(name)} is invalid: ${summary}`, {
    name, ...(t.group ? { group: t.group } : {}), kind: t.kind,
    causes: errors.map((e) => ({ reason: e.type, message: errorText(e), field: e.field })),
  });
}

function validateName(t: ResourceType, name: string): FieldErr[] {
  if (!name) return [{ type: 'FieldValueRequired', field: 'metadata.name', detail: 'name or generateName is required' }];
  if (t.group === 'rbac.authorization.k8s.io') {
    if (name === '.' || name === '..') return [{ type: 'FieldValueInvalid', field: 'metadata.name', value: name, detail: `may not be '${name}'` }];
    if (name.includes('/') || name.includes('%')) return [{ type: 'FieldValueInvalid', field: 'metadata.name', value: name, detail: `may not contain '${name.includes('/') ? '/' : '%'}'` }];
    return [];
  }
  const label = t.resource === 'namespaces';
  const max = label ? 63 : 253;
  const errs: FieldErr[] = [];
  if (name.length > max) errs.push({ type: 'FieldValueInvalid', field: 'metadata.name', value: name, detail: `must be no more than ${max} characters` });
  if (!(label ? DNS1123_LABEL : DNS1123_SUBDOMAIN).test(name)) errs.push({ type: 'FieldValueInvalid', field: 'metadata.name', value: name, detail: label ? LABEL_MSG : SUBDOMAIN_MSG });
  return errs;
}

function validateSpec(t: ResourceType, o: KubeObject): FieldErr[] {
  const spec = o.spec as Record<string, unknown> | undefined;
  switch (`${t.group}/${t.resource}`) {
    case '/pods': {
      const containers = spec?.containers;
      if (!Array.isArray(containers) || containers.length === 0) return [{ type: 'FieldValueRequired', field: 'spec.containers', detail: '' }];
      return containers.flatMap((c: Record<string, unknown>, i) => [
        ...(c.name ? [] : [{ type: 'FieldValueRequired' as const, field: `spec.containers[${i}].name`, detail: '' }]),
        ...(c.image ? [] : [{ type: 'FieldValueRequired' as const, field: `spec.containers[${i}].image`, detail: '' }]),
      ]);
    }
    case 'rbac.authorization.k8s.io/rolebindings':
    case 'rbac.authorization.k8s.io/clusterrolebindings': {
      const ref = o.roleRef as Record<string, unknown> | undefined;
      return ref?.name ? [] : [{ type: 'FieldValueRequired', field: 'roleRef.name', detail: '' }];
    }
    default:
      return [];
  }
}

/** Validates an object about to be stored; throws 422 Invalid. */
export function validateObject(t: ResourceType, o: KubeObject): void {
  const errors = [...validateName(t, o.metadata.name), ...(o.metadata.name ? validateSpec(t, o) : [])];
  if (errors.length) throw invalid(t, o.metadata.name ?? '', errors);
}

function defaultContainer(c: Record<string, unknown>): void {
  const image = String(c.image ?? '');
  c.terminationMessagePath ??= '/dev/termination-log';
  c.terminationMessagePolicy ??= 'File';
  c.imagePullPolicy ??= /:[^/]+$/.test(image) && !image.endsWith(':latest') ? 'IfNotPresent' : 'Always';
  c.resources ??= {};
}

function defaultPodSpec(spec: Record<string, unknown>): void {
  for (const list of ['containers', 'initContainers']) for (const c of (spec[list] as Record<string, unknown>[] | undefined) ?? []) defaultContainer(c);
  for (const volume of (spec.volumes as Record<string, Record<string, unknown> | undefined>[] | undefined) ?? []) {
    for (const source of ['secret', 'configMap', 'projected']) if (volume?.[source]) volume[source].defaultMode ??= 420;
  }
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.serviceAccountName ??= 'default';
  spec.serviceAccount ??= spec.serviceAccountName;
  spec.securityContext ??= {};
  spec.schedulerName ??= 'default-scheduler';
  spec.enableServiceLinks ??= true;
  spec.preemptionPolicy ??= 'PreemptLowerPriority';
  spec.priority ??= 0;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Secret.data is []byte in Go: a value that is not base64 fails decoding with 400, before validation. */
function checkSecretBytes(o: KubeObject): void {
  for (const [key, value] of Object.entries((o.data as Record<string, unknown> | undefined) ?? {})) {
    if (typeof value !== 'string' || !BASE64.test(value)) {
      throw new StatusError(400, 'BadRequest', `Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 0 (data[${JSON.stringify(key)}])`);
    }
  }
}

function secretData(o: KubeObject): void {
  const stringData = o.stringData as Record<string, string> | undefined;
  checkSecretBytes(o);
  o.type ??= 'Opaque';
  if (!stringData) return;
  const data = { ...((o.data as Record<string, string> | undefined) ?? {}) };
  for (const [k, v] of Object.entries(stringData)) data[k] = Buffer.from(String(v)).toString('base64');
  o.data = data;
  delete o.stringData;
}

/** API defaulting and the create strategy of each type (status reset, derived fields). */
export function defaultForCreate(t: ResourceType, o: KubeObject): void {
  switch (`${t.group}/${t.resource}`) {
    case '/namespaces':
      o.spec = { finalizers: ['kubernetes'] };
      o.status = { phase: 'Active' };
      break;
    case '/pods':
      defaultPodSpec((o.spec ??= {}) as Record<string, unknown>);
      o.status = { phase: 'Pending', qosClass: 'BestEffort' };
      break;
    case 'apps/deployments': {
      const spec = (o.spec ??= {}) as Record<string, unknown>;
      spec.replicas ??= 1;
      spec.revisionHistoryLimit ??= 10;
      spec.progressDeadlineSeconds ??= 600;
      spec.strategy ??= { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } };
      const template = (spec.template ??= {}) as Record<string, unknown>;
      defaultPodSpec((template.spec ??= {}) as Record<string, unknown>);
      o.metadata.generation = 1;
      o.status = {};
      break;
    }
  }
  defaultForUpdate(t, o);
}

/** Defaulting applied on every write. */
export function defaultForUpdate(t: ResourceType, o: KubeObject): void {
  if (t.group === '' && t.resource === 'secrets') secretData(o);
  if (t.group === '' && t.resource === 'namespaces') o.metadata.labels = { ...(o.metadata.labels ?? {}), 'kubernetes.io/metadata.name': o.metadata.name };
}

const GENERATE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** names.SimpleNameGenerator: generateName + 5 random characters. */
export function generateName(base: string): string {
  let suffix = '';
  for (let i = 0; i < 5; i++) suffix += GENERATE_ALPHABET[Math.floor(Math.random() * GENERATE_ALPHABET.length)];
  return `${base.slice(0, 58)}${suffix}`;
}
