import { describe, expect, it } from '@jest/globals';
import { canonicalizeRequest } from '../../../src/kube/canonical.js';
import { compileDetectors, DETECTOR_NAMES } from '../../../src/mask/index.js';
import { approverView, heldRequestSummary, patchTypeOf, reindentJson } from '../../../src/policy/approver-view.js';
import { heldRequestDetail, heldRequestDigest, type HeldRequestDetail } from '../../../src/policy/held-request.js';
import { canonicalUrl } from './fixtures.js';

const detectors = compileDetectors([...DETECTOR_NAMES]);
const ATTACK = 'token="$(touch /tmp/pwned)"';

function exec(command: string[], extra = 'container=web&stdin=true&stdout=true&tty=false'): HeldRequestDetail {
  const query = [...command.map((c) => `command=${encodeURIComponent(c)}`), extra].join('&');
  return heldRequestDetail({ method: 'GET', url: canonicalUrl('GET', `/api/v1/namespaces/prod/pods/web/exec?${query}`) });
}

function view(detail: HeldRequestDetail, withBody = true) {
  const canonical = canonicalizeRequest(detail.method, detail.url);
  if (!canonical.ok) throw new Error(canonical.reason);
  return approverView('kgate-sim', detail, canonical.request, detectors, { withBody });
}

function summary(detail: HeldRequestDetail) {
  const canonical = canonicalizeRequest(detail.method, detail.url);
  if (!canonical.ok) throw new Error(canonical.reason);
  return heldRequestSummary(detail, canonical.request, detectors);
}

describe('what approvers see of a held exec', () => {
  it('shows the hidden command of the issue in full, its secret-looking part highlighted', () => {
    const detail = exec(['sh', '-c', ATTACK]);
    const v = view(detail);
    expect(v.command).toEqual([
      { text: 'sh', highlights: [] },
      { text: '-c', highlights: [] },
      { text: ATTACK, highlights: [{ start: 7, end: 26, detector: 'password-assignment' }] },
    ]);
    expect(ATTACK.slice(7, 26)).toBe('$(touch /tmp/pwned)');
    expect(v.target).toEqual({ cluster: 'kgate-sim', verb: 'get', path: '/api/v1/namespaces/prod/pods/web/exec', apiGroup: '', apiVersion: 'v1', namespace: 'prod', resource: 'pods', name: 'web', subresource: 'exec', container: 'web' });
    expect(v.options?.map((o) => `${o.name}=${o.value.text}`)).toEqual(['stdin=true', 'stdout=true', 'tty=false']);
    expect(v.method).toBe('GET');
    expect(v.url.text).toBe(detail.url);
    expect(v.digest).toBe(heldRequestDigest(detail));
    expect(v.body).toBeUndefined();
  });

  it('while everyone else sees it masked, bound to the same digest', () => {
    const detail = exec(['sh', '-c', ATTACK]);
    expect(summary(detail)).toEqual({
      verb: 'get', path: '/api/v1/namespaces/prod/pods/web/exec', namespace: 'prod', resource: 'pods', subresource: 'exec', name: 'web', container: 'web',
      command: ['sh', '-c', 'token="***MASKED:password-assignment***"'], digest: heldRequestDigest(detail),
    });
  });

  it('keeps each argument apart, invisible characters included, exactly as it will run', () => {
    const args = ['echo', 'a b', '', 'x\u202Ey', 'line1\nline2'];
    expect(view(exec(args)).command?.map((c) => c.text)).toEqual(args);
  });
});

describe('what approvers see of a held write', () => {
  const patchUrl = canonicalUrl('PATCH', '/api/v1/namespaces/prod/configmaps/app?fieldManager=kubectl-patch');

  it('shows the exact body, the patch type and the patch re-indented, secrets highlighted in both', () => {
    const body = '{"data":{"password":"hunter2-S3cret","mode":"on"}}';
    const detail = heldRequestDetail({ method: 'PATCH', url: patchUrl, contentType: 'application/strategic-merge-patch+json', body: Buffer.from(body) });
    const v = view(detail);
    expect(v.target).toMatchObject({ verb: 'patch', resource: 'configmaps', name: 'app', namespace: 'prod' });
    expect(v.options).toEqual([{ name: 'fieldManager', value: { text: 'kubectl-patch', highlights: [] } }]);
    expect(v.body).toMatchObject({ contentType: 'application/strategic-merge-patch+json', bytes: body.length, patchType: 'strategic' });
    expect(v.body?.text?.text).toBe(body);
    expect(v.body?.pretty?.text).toBe('{\n  "data": {\n    "password": "hunter2-S3cret",\n    "mode": "on"\n  }\n}');
    for (const t of [v.body!.text!, v.body!.pretty!]) {
      expect(t.highlights).toHaveLength(1);
      expect(t.text.slice(t.highlights[0]!.start, t.highlights[0]!.end)).toBe('hunter2-S3cret');
    }
  });

  it('leaves the body text out of list views', () => {
    const detail = heldRequestDetail({ method: 'PATCH', url: patchUrl, contentType: 'application/merge-patch+json', body: Buffer.from('{}') });
    expect(view(detail, false).body).toEqual({ contentType: 'application/merge-patch+json', bytes: 2, patchType: 'merge' });
  });

  it('shows a YAML apply body as sent, with no pretty form', () => {
    const yaml = 'apiVersion: v1\nkind: ConfigMap\ndata:\n  token: "abc123"\n';
    const detail = heldRequestDetail({ method: 'PATCH', url: patchUrl, contentType: 'application/apply-patch+yaml', body: Buffer.from(yaml) });
    const v = view(detail);
    expect(v.body).toMatchObject({ patchType: 'apply', text: { text: yaml } });
    expect(v.body?.pretty).toBeUndefined();
    expect(v.body?.text?.highlights.map((h) => yaml.slice(h.start, h.end))).toEqual(['abc123']);
  });

  it.each([
    ['PATCH', 'application/json-patch+json', 'json'],
    ['PATCH', 'application/merge-patch+json; charset=utf-8', 'merge'],
    ['PATCH', 'Application/Strategic-Merge-Patch+JSON', 'strategic'],
    ['PATCH', 'application/apply-patch+yaml', 'apply'],
    ['PATCH', 'application/json', undefined],
    ['POST', 'application/json-patch+json', undefined],
  ])('patchTypeOf(%s, %s) is %s', (method, contentType, expected) => {
    expect(patchTypeOf(method, contentType)).toBe(expected);
  });
});

describe('reindentJson', () => {
  it('keeps every token as sent: duplicate keys, escapes, number spellings', () => {
    const text = '{"a":1,"a":"x\\u0041\\"y","n":1.50e+2,"e":[],"o":{},"l":[true,null,{"k":[1, 2]}]}';
    expect(reindentJson(text)).toBe(
      '{\n  "a": 1,\n  "a": "x\\u0041\\"y",\n  "n": 1.50e+2,\n  "e": [],\n  "o": {},\n  "l": [\n    true,\n    null,\n    {\n      "k": [\n        1,\n        2\n      ]\n    }\n  ]\n}',
    );
  });

  it('leaves whitespace inside strings alone and drops it between tokens', () => {
    expect(reindentJson(' [ "a  b" ,\n\t"c" ] ')).toBe('[\n  "a  b",\n  "c"\n]');
  });

  it('gives up when the indentation of a deep document would outgrow the limit', () => {
    const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
    expect(reindentJson(deep, 1024 * 1024)).toBeUndefined();
    expect(reindentJson('[[1]]', 1024)).toBe('[\n  [\n    1\n  ]\n]');
  });
});
