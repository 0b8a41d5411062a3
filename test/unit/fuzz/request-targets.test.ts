/**
 * Fuzzing request canonicalisation (src/kube/canonical.ts) with hostile targets: encoded slashes
 * and dots, dot segments, doubled slashes, `;`, `#`, `\`, malformed escapes, NUL and line breaks
 * raw and encoded, odd Unicode, long and repeated queries. Whatever comes in, the answer is a
 * canonical request or a one-line refusal, never an exception; a canonical URL canonicalises to
 * itself (so what the policy saw is what is forwarded) and holds no segment a server could read
 * differently. Secrets in the query never reach the audit trail's request URI.
 */
import { canonicalizeRequest } from '../../../src/kube/canonical.js';
import { compileDetectors, DETECTOR_NAMES } from '../../../src/mask/index.js';
import { maskRequestUri } from '../../../src/mask/request-uri.js';
import { FUZZ_SEED, Gen, fuzzRuns, leaks, plantSecret } from './support.js';
import type { Planted } from './support.js';

const PATH_PIECES = [
  '/', '/', '/', 'api', 'apis', 'v1', 'apps', 'namespaces', 'prod', 'kube-system', 'pods', 'secrets', 'configmaps', 'web', 'db-credentials',
  'exec', 'attach', 'log', 'proxy', 'status', 'watch', 'portforward', 'services', 'nodes', '.', '..', '%2e', '%2E%2e', '%2f', '%2F', '%252f',
  '%5c', '%', '%zz', '%4', ';', '//', '#', '\\', ' ', 'é', '%C3%A9', '\u2028', '%E2%80%A8', '%00', '%0a', '%0D', '\n', '\u0000', '~', '+',
  '@', ':', '*', '😀', '%F0%9F%98%80', '%ED%A0%80', 'A'.repeat(300),
];
const QUERY_PIECES = ['command=', 'container=', 'stdin=true', 'tty=1', 'watch=true', 'fieldSelector=', 'labelSelector=a%3Db', 'dryRun=All', '&', '&&', '=', '%26', '%3D', '+', '%2B', '%20', '%', '%zz', ';', '#', 'x', 'ls', '-la'];
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'get', 'CONNECT', 'TRACE', 'GET ', ''];

function randomTarget(gen: Gen): string {
  let path = gen.chance(0.9) ? '/' : gen.pick(['', '*', 'http://x', '//evil']);
  for (let i = gen.int(12); i > 0; i--) path += gen.pick(PATH_PIECES);
  if (!gen.chance(0.5)) return path;
  let query = '';
  for (let i = gen.int(10); i > 0; i--) query += gen.pick(QUERY_PIECES);
  return `${path}?${query}`;
}

describe(`fuzz: request targets (seed ${FUZZ_SEED})`, () => {
  it(`canonicalise to a fixed point or refuse in one line, never throw (${fuzzRuns(5000)} targets)`, () => {
    const gen = new Gen(FUZZ_SEED + 20);
    let accepted = 0;
    for (let run = 0; run < fuzzRuns(5000); run++) {
      const method = gen.pick(METHODS);
      const target = randomTarget(gen);
      const result = canonicalizeRequest(method, target);
      if (!result.ok) {
        expect({ target, reason: /^[^\n\r]{1,300}$/.test(result.reason) }).toEqual({ target, reason: true });
        continue;
      }
      accepted++;
      const { request } = result;
      // Nothing a second parser could read differently.
      const problems = request.segments.filter((s) => s === '' || s === '.' || s === '..' || [...s].some((c) => c.charCodeAt(0) < 0x20 || c === '\u007f'));
      expect({ target, problems, ascii: /^[\u0021-\u007e]*$/.test(request.url) }).toEqual({ target, problems: [], ascii: true });
      // What the policy decided on is exactly what goes upstream.
      const again = canonicalizeRequest(method, request.url);
      expect({ target, again: again.ok ? { url: again.request.url, segments: again.request.segments, query: again.request.queryPairs } : again.reason }).toEqual({
        target,
        again: { url: request.url, segments: request.segments, query: request.queryPairs },
      });
      // Before a proxy subresource's own path, no segment needed escaping.
      const proxy = request.segments.indexOf('proxy');
      const head = proxy < 0 ? request.segments : request.segments.slice(0, proxy);
      expect({ target, escaped: head.filter((s) => !/^[A-Za-z0-9\-._~!$&'()*+,=:@]*$/.test(s)) }).toEqual({ target, escaped: [] });
    }
    // The generator must reach the accepting paths too, or the properties above say little.
    expect(accepted).toBeGreaterThan(fuzzRuns(5000) / 20);
  });

  it(`keep secrets in query values and keys out of the audited request URI (${fuzzRuns(1000)} targets)`, () => {
    const gen = new Gen(FUZZ_SEED + 21);
    const detectors = compileDetectors(DETECTOR_NAMES);
    for (let run = 0; run < fuzzRuns(1000); run++) {
      const planted: Planted[] = [];
      const params = new URLSearchParams();
      for (let i = 1 + gen.int(5); i > 0; i--) {
        const secret = gen.chance(0.6) ? plantSecret(gen) : undefined;
        if (secret) planted.push(secret);
        const value = secret ? `${gen.pick(['', 'sh -c ', 'Bearer ', 'curl -H "X: '])}${secret.text}${gen.pick(['', ' ', '"'])}` : gen.oddText(4);
        if (secret && gen.chance(0.3)) params.append(value, gen.oddText(2));
        else params.append(gen.pick(['command', 'container', 'labelSelector', 'x']), value);
      }
      const result = canonicalizeRequest('POST', `/api/v1/namespaces/prod/pods/web/exec?${params.toString()}`);
      if (!result.ok) continue;
      const audited = decodeURIComponent(maskRequestUri(result.request.url, detectors).replace(/\+/g, ' '));
      expect({ run, leaks: leaks(audited, planted) }).toEqual({ run, leaks: [] });
    }
  });
});
