import { describe, expect, it } from '@jest/globals';
import { checkHeldRequest, heldBodyProblem, heldRequestDetail, heldRequestDigest, MAX_HELD_BODY_BYTES, type HeldRequestDetail } from '../../../src/policy/held-request.js';
import { canonicalUrl } from './fixtures.js';


const EXEC = canonicalUrl('GET', '/api/v1/namespaces/prod/pods/web/exec?command=sh&command=-c&command=token%3D%22%24(touch%20%2Ftmp%2Fpwned)%22&container=web&stdout=true');
const PATCH = canonicalUrl('PATCH', '/api/v1/namespaces/prod/configmaps/app?fieldManager=kubectl-patch');

describe('heldRequestDigest', () => {
  const base: HeldRequestDetail = heldRequestDetail({ method: 'PATCH', url: PATCH, contentType: 'application/merge-patch+json', body: Buffer.from('{"data":{"a":"1"}}') });

  it('is stable for the same request and changes with each part of it', () => {
    expect(heldRequestDigest(base)).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(heldRequestDigest({ ...base })).toBe(heldRequestDigest(base));
    const variants: HeldRequestDetail[] = [
      { ...base, method: 'PUT' },
      { ...base, url: canonicalUrl('PATCH', '/api/v1/namespaces/prod/configmaps/other?fieldManager=kubectl-patch') },
      { ...base, url: canonicalUrl('PATCH', '/api/v1/namespaces/prod/configmaps/app?fieldManager=kubectl-patch&dryRun=All') },
      { ...base, contentType: 'application/strategic-merge-patch+json' },
      { method: base.method, url: base.url, body: base.body! },
      { ...base, body: Buffer.from('{"data":{"a":"2"}}').toString('base64') },
      { ...base, body: undefined },
    ];
    const digests = new Set([base, ...variants].map(heldRequestDigest));
    expect(digests.size).toBe(variants.length + 1);
  });

  it('cannot be shifted between parts (no two requests share a preimage)', () => {
    const a = heldRequestDetail({ method: 'POST', url: '/api', contentType: 'a', body: Buffer.from('b') });
    const b = heldRequestDetail({ method: 'POST', url: '/api', contentType: 'ab' });
    expect(heldRequestDigest(a)).not.toBe(heldRequestDigest(b));
  });

  it('binds each exec argument exactly', () => {
    const approved = heldRequestDetail({ method: 'GET', url: EXEC });
    const other = heldRequestDetail({ method: 'GET', url: EXEC.replace('touch', 'rm%20-rf%20') });
    expect(heldRequestDigest(other)).not.toBe(heldRequestDigest(approved));
  });
});

describe('heldBodyProblem', () => {
  it('takes UTF-8 text up to the limit', () => {
    expect(heldBodyProblem(Buffer.from('{"a":"ü"}'))).toBeUndefined();
    expect(heldBodyProblem(Buffer.alloc(MAX_HELD_BODY_BYTES, 0x20))).toBeUndefined();
  });

  it('refuses a larger body with 413, naming the limit', () => {
    expect(heldBodyProblem(Buffer.alloc(MAX_HELD_BODY_BYTES + 1, 0x20))).toEqual({ code: 413, message: expect.stringContaining('at most 262144 bytes (256 KiB)') });
  });

  it('refuses a body approvers could not read (protobuf, broken UTF-8) with 415', () => {
    expect(heldBodyProblem(Buffer.from([0x6b, 0x38, 0x73, 0x00, 0x0a, 0xff, 0xfe]))).toEqual({ code: 415, message: expect.stringContaining('UTF-8 text') });
  });
});

describe('checkHeldRequest', () => {
  it('accepts what the gate sends and returns the canonical request', () => {
    const checked = checkHeldRequest(heldRequestDetail({ method: 'PATCH', url: PATCH, contentType: 'application/json-patch+json', body: Buffer.from('[]') }));
    expect(checked.ok && checked.canonical.url).toBe(PATCH);
  });

  it.each([
    ['a target that is not canonical', { method: 'GET', url: '/api/v1/namespaces/prod/pods/web/exec?command=a+b' }, 400, 'canonical'],
    ['a target the gate refuses', { method: 'GET', url: '/api/v1/namespaces/../pods' }, 400, 'request.url'],
    ['an unknown method', { method: 'get', url: '/api' }, 400, 'method'],
    ['a body whose base64 is not canonical', { method: 'POST', url: '/api', body: 'e30' }, 400, 'canonical base64'],
    ['a body of bytes that are not UTF-8', { method: 'POST', url: '/api', body: Buffer.from([0xff]).toString('base64') }, 415, 'UTF-8'],
    ['a body over the limit', { method: 'POST', url: '/api', body: Buffer.alloc(MAX_HELD_BODY_BYTES + 3, 0x20).toString('base64') }, 413, '256 KiB'],
    ['a Content-Type with a control character', { method: 'POST', url: '/api', contentType: 'text/plain\r\nX: y' }, 400, 'contentType'],
  ])('refuses %s', (_name, detail, code, text) => {
    const checked = checkHeldRequest(detail as HeldRequestDetail);
    expect(checked.ok).toBe(false);
    if (!checked.ok) {
      expect(checked.problem.code).toBe(code);
      expect(checked.problem.message).toContain(text);
    }
  });
});
