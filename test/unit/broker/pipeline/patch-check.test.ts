import { isJsonPatch, patchRefusal } from '../../../../src/broker/pipeline/patch-check.js';
import { canonicalStage } from '../../../../src/broker/pipeline/canonicalize.js';
import { classifyRequest } from '../../../../src/broker/pipeline/classify.js';
import { defaultMasking } from '../../../../src/policy/schema/index.js';
import { createPatchGuard } from '../../../../src/mask/patch-guard.js';

const guard = createPatchGuard(defaultMasking());

function info(url: string) {
  const c = canonicalStage('PATCH', url);
  if (!c.ok) throw new Error(c.reason);
  return classifyRequest(c.request, {}).info;
}

describe('patch check stage', () => {
  test.each([
    ['PATCH', 'application/json-patch+json', true],
    ['PATCH', 'application/json-patch+json; charset=utf-8', true],
    ['PATCH', 'Application/JSON-Patch+JSON', true],
    ['PATCH', ' application/json-patch+json ', true],
    ['PATCH', 'application/merge-patch+json', false],
    ['PATCH', 'application/strategic-merge-patch+json', false],
    ['PATCH', undefined, false],
    ['PUT', 'application/json-patch+json', false],
  ])('%s with Content-Type %j is a JSON patch: %s', (method, type, expected) => {
    expect(isJsonPatch(method, type === undefined ? {} : { 'content-type': type })).toBe(expected);
  });

  test('answers a copy of Secret data with a Forbidden Status kubectl prints', () => {
    const body = Buffer.from('[{"op":"copy","from":"/data/password","path":"/metadata/annotations/x"}]');
    const refusal = patchRefusal(guard, info('/api/v1/namespaces/prod/secrets/db-credentials?dryRun=All'), 'ci-deployer', body);
    expect(refusal?.status.code).toBe(403);
    const status = JSON.parse(refusal!.status.body) as { reason: string; message: string; details: { name: string; kind: string } };
    expect(status).toMatchObject({ reason: 'Forbidden', details: { name: 'db-credentials', kind: 'secrets' } });
    expect(status.message).toMatch(/^secrets "db-credentials" is forbidden: User "ci-deployer" cannot patch resource "secrets" in API group "" in the namespace "prod": JSON patch operation 0 \(copy\) copies from "\/data\/password"/);
    expect(refusal?.reason).toContain('copies from "/data/password"');
  });

  test('answers an unreadable patch with 400 and lets a harmless one through', () => {
    const target = info('/api/v1/namespaces/prod/configmaps/app-config');
    expect(patchRefusal(guard, target, 'u', Buffer.from('{"op":"add"}'))?.status.code).toBe(400);
    expect(patchRefusal(guard, target, 'u', Buffer.from('[{"op":"add","path":"/data/x","value":"1"}]'))).toBeUndefined();
  });
});
