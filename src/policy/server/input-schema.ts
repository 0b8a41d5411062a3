/**
 * A small strict validator for request bodies and queries: each field has a type and limits,
 * unknown fields are refused, and the first problem becomes a 400 naming the field.
 */
import { badRequest } from './errors.js';

/** Validates one value; throws a message (without the field name) when it does not fit. */
export type Check<T> = (value: unknown, field: string) => T;

function fail(field: string, expected: string): never {
  throw badRequest(`${field}: expected ${expected}`, 'invalid_field');
}

/** A string of 1..max characters, optionally matching `pattern` (described by `what`). */
export function str(opts: { max?: number; pattern?: RegExp; what?: string } = {}): Check<string> {
  const max = opts.max ?? 256;
  return (value, field) => {
    if (typeof value !== 'string' || value.length === 0 || value.length > max) fail(field, `a non-empty string of at most ${max} characters`);
    if (opts.pattern && !opts.pattern.test(value)) fail(field, opts.what ?? `a value matching ${opts.pattern}`);
    return value;
  };
}

/** One of `values`, exactly. */
export function enumOf<const T extends string>(values: readonly T[]): Check<T> {
  return (value, field) => (values.includes(value as T) ? (value as T) : fail(field, `one of ${values.join(', ')}`));
}

export function bool(): Check<boolean> {
  return (value, field) => (typeof value === 'boolean' ? value : fail(field, 'true or false'));
}

export function int(opts: { min?: number; max?: number } = {}): Check<number> {
  const min = opts.min ?? 0;
  const max = opts.max ?? Number.MAX_SAFE_INTEGER;
  return (value, field) => (Number.isInteger(value) && (value as number) >= min && (value as number) <= max ? (value as number) : fail(field, `an integer from ${min} to ${max}`));
}

export function list<T>(item: Check<T>, opts: { max?: number } = {}): Check<T[]> {
  const max = opts.max ?? 100;
  return (value, field) => {
    if (!Array.isArray(value) || value.length > max) fail(field, `a list of at most ${max} items`);
    return value.map((v, i) => item(v, `${field}[${i}]`));
  };
}

/** Any JSON object (for opaque payloads such as audit events). */
export function record(): Check<Record<string, unknown>> {
  return (value, field) => (value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : fail(field, 'an object'));
}

type Shape = Record<string, { check: Check<unknown>; optional?: boolean }>;
type Out<S extends Shape> = { [K in keyof S as S[K]['optional'] extends true ? never : K]: ReturnType<S[K]['check']> } & {
  [K in keyof S as S[K]['optional'] extends true ? K : never]?: ReturnType<S[K]['check']>;
};

export const required = <T>(check: Check<T>) => ({ check, optional: false as const });
export const optional = <T>(check: Check<T>) => ({ check, optional: true as const });

/** An object with exactly these fields (optional ones may be absent or null); anything else is refused. */
export function object<S extends Shape>(shape: S): Check<Out<S>> {
  return (value, field) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(field, 'a JSON object');
    const input = value as Record<string, unknown>;
    const unknown = Object.keys(input).filter((k) => !Object.hasOwn(shape, k));
    if (unknown.length) throw badRequest(`${field}: unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => JSON.stringify(k)).join(', ')}; expected only ${Object.keys(shape).join(', ')}`, 'unknown_field');
    const out: Record<string, unknown> = {};
    for (const [key, spec] of Object.entries(shape)) {
      const v = input[key];
      const path = field === 'body' ? key : `${field}.${key}`;
      if (v === undefined || v === null) {
        if (!spec.optional) throw badRequest(`${path} is required`, 'missing_field');
        continue;
      }
      out[key] = spec.check(v, path);
    }
    return out as Out<S>;
  };
}

/** Validates a parsed body against `schema`. */
export function parseBody<T>(schema: Check<T>, body: unknown): T {
  return schema(body, 'body');
}
