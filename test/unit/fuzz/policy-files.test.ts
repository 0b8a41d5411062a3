/**
 * Fuzzing the policy parser with hostile files: the sample policy and a small one with lines
 * dropped, duplicated, swapped, cut and sprinkled with odd Unicode; values replaced by globs,
 * durations, numbers and regexes of every kind; YAML alias bombs, deep nesting, tags and huge
 * scalars. parsePolicy must answer with a policy or issues (each with a message and a place),
 * never throw, and a policy it accepts must evaluate any request and grant without throwing.
 */
import { readFileSync } from 'node:fs';
import { decideGrant, templatesFor } from '../../../src/policy/evaluate-grant.js';
import { decideRequest } from '../../../src/policy/evaluate-request.js';
import { parsePolicy } from '../../../src/policy/schema/index.js';
import type { Policy } from '../../../src/policy/types.js';
import { BASE, IDP, SAMPLE_POLICY, SIM_ENV, person } from '../policy/fixtures.js';
import { FUZZ_SEED, Gen, fuzzRuns } from './support.js';

const SOURCES = [readFileSync(SAMPLE_POLICY, 'utf8'), BASE];
const VALUES = [
  '"*"', '"**"', '"[a-"', '"[!]]"', '"\\\\"', '"a\\nb"', '"\\u2028*"', '"😀?"', '"*[z-a]*"', '"/(a+)+$/"', '"/[/"', '"/x/gimsuy"',
  '8h', '0s', '-1h', '99999999999999999d', '1e309', '0x10', 'NaN', '.inf', '~', 'null', 'true', '[]', '{}', '[[[[[]]]]]', '"${NOPE}"', '${SIM_CA_FILE}',
  '&a [*a]', '*missing', '!!binary aGk=', '!!js/function "x"', '<<: *a', `"${'x'.repeat(20_000)}"`, "'it''s'", '|\n  block', '>-\n  folded',
];

function mutateLines(gen: Gen, text: string): string {
  const lines = text.split('\n');
  for (let edits = 1 + gen.int(6); edits > 0; edits--) {
    const at = gen.int(lines.length);
    switch (gen.int(7)) {
      case 0:
        lines.splice(at, 1);
        break;
      case 1:
        lines.splice(at, 0, lines[gen.int(lines.length)]!);
        break;
      case 2: {
        const other = gen.int(lines.length);
        [lines[at], lines[other]] = [lines[other]!, lines[at]!];
        break;
      }
      case 3:
        lines[at] = lines[at]!.slice(0, gen.int(lines[at]!.length + 1));
        break;
      case 4:
        lines[at] = lines[at]!.replace(/:\s.*$/, `: ${gen.pick(VALUES)}`);
        break;
      case 5:
        lines[at] = `${lines[at]!}${gen.oddText(3)}`;
        break;
      default:
        lines[at] = lines[at]!.replace(/\S+$/, gen.pick(VALUES));
    }
  }
  return lines.join(gen.pick(['\n', '\r\n']));
}

/** Hostile YAML that is not a mutated policy at all. */
function strangeDocument(gen: Gen): string {
  switch (gen.int(5)) {
    case 0: {
      // Billion laughs: every level doubles the one before.
      let doc = 'a0: &a0 [x, x]\n';
      for (let i = 1; i < 30; i++) doc += `a${i}: &a${i} [*a${i - 1}, *a${i - 1}]\n`;
      return doc;
    }
    case 1:
      return `${'- '.repeat(100 + gen.int(500))}x`;
    case 2:
      return `${'{a: '.repeat(100 + gen.int(500))}1${'}'.repeat(gen.int(600))}`;
    case 3:
      return Array.from({ length: gen.int(50) }, () => gen.oddText(8)).join('\n');
    default:
      return `---\n${gen.oddText(10)}\n---\n...\n--- !!map\n${BASE}`;
  }
}

function exercise(policy: Policy, gen: Gen): void {
  const principal = person('alice', [gen.pick(['dev', 'sre', 'leads', '😀'])], { issuer: gen.pick([IDP, SIM_ENV.KGATE_ISSUER]) });
  for (const cluster of [...policy.clusters.map((c) => c.name), 'nope']) {
    decideRequest(policy, principal, cluster, {
      verb: gen.pick(['get', 'delete', 'create']),
      apiGroup: '',
      resource: gen.pick(['pods', 'secrets', 'namespaces']),
      subresource: gen.pick(['', 'exec']),
      namespace: gen.pick(['prod', 'kube-system', 'team-a\n']),
      name: gen.oddText(3),
      command: [gen.oddText(3), 'rm -rf /'],
    });
    for (const template of templatesFor(policy, principal)) decideGrant(policy, principal, { cluster, grant: template.name, ttlMs: gen.pick([3_600_000, Infinity, 0, -1]), reason: 'fuzz' });
  }
}

describe(`fuzz: policy files (seed ${FUZZ_SEED})`, () => {
  it(`parse to a policy or issues, never throw, and accepted policies evaluate (${fuzzRuns(250)} files)`, () => {
    const gen = new Gen(FUZZ_SEED + 40);
    let accepted = 0;
    for (let run = 0; run < fuzzRuns(250); run++) {
      const text = gen.chance(0.85) ? mutateLines(gen, gen.pick(SOURCES)) : strangeDocument(gen);
      let result: ReturnType<typeof parsePolicy>;
      try {
        result = parsePolicy([{ file: 'fuzz.yaml', text }], { env: SIM_ENV });
      } catch (error) {
        throw new Error(`run ${run}: parsePolicy threw ${(error as Error).name}: ${(error as Error).message}\n${text.slice(0, 2000)}`);
      }
      if (result.policy) {
        accepted++;
        exercise(result.policy, gen);
        continue;
      }
      const bad = result.issues.filter((issue) => typeof issue.message !== 'string' || issue.message === '' || issue.file !== 'fuzz.yaml' || !(issue.line >= 0));
      expect({ run, bad }).toEqual({ run, bad: [] });
    }
    // Some mutations must leave a valid policy, or the evaluation half says nothing.
    expect(accepted).toBeGreaterThan(0);
  });
});
