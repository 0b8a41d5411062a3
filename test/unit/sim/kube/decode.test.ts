import { decodePatched } from '../../../sim/kube/decode.js';
import type { StatusError, KubeObject } from '../../../sim/kube/types.js';

const secret = (extra: Record<string, unknown> = {}): KubeObject => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { password: 'cHJvZA==' }, type: 'Opaque', ...extra });

function failure(fn: () => unknown): StatusError {
  try {
    fn();
  } catch (error) {
    return error as StatusError;
  }
  throw new Error('no error');
}

describe('decoding a patched object into its type', () => {
  test('an unknown field under Strict is a 422 that quotes the whole patched object, Secret data and all', () => {
    const error = failure(() => decodePatched(secret({ bogus: 1 }), 'Strict'));
    expect(error.code).toBe(422);
    expect(error.message).toBe(` "" is invalid: patch: Invalid value: "{\\"apiVersion\\":\\"v1\\",\\"kind\\":\\"Secret\\",\\"metadata\\":{\\"name\\":\\"s\\"},\\"data\\":{\\"password\\":\\"cHJvZA==\\"},\\"type\\":\\"Opaque\\",\\"bogus\\":1}": strict decoding error: unknown field "bogus"`);
    expect(error.details?.causes?.[0]).toMatchObject({ reason: 'FieldValueInvalid', field: 'patch' });
  });

  test('an unknown field is dropped under Warn, Ignore or no fieldValidation', () => {
    for (const v of ['Warn', 'Ignore', null]) expect(decodePatched(secret({ bogus: 1 }), v)).toEqual(secret());
  });

  test('a value of the wrong type fails whatever the validation', () => {
    expect(failure(() => decodePatched(secret({ type: 5 }), 'Ignore')).message).toContain('json: cannot unmarshal number into Go struct field Secret.type of type string');
    expect(failure(() => decodePatched(secret({ metadata: { name: 's', labels: { a: 1 } } }), null)).message).toContain('json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string');
  });

  test('kinds it does not model pass unchanged', () => {
    const role = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'r' }, rules: [] } as KubeObject;
    expect(decodePatched(role, 'Strict')).toBe(role);
  });
});
