import { parsePolicy } from '../../../src/policy/schema/index.js';
import { MAX_ALIASES, MAX_POLICY_BYTES } from '../../../src/policy/schema/source.js';
import { BASE, mutate, positionOf } from './fixtures.js';

describe('policy files too big to be policies', () => {
  it('refuses a document with more aliases than the limit, pointing at the first one over it', () => {
    const aliases = Array.from({ length: MAX_ALIASES + 5 }, () => '*g').join(', ');
    const text = mutate(BASE, '        - groups: [dev]', `        - groups: &g [dev]\n        - groups: [${aliases}]`);
    const { policy, issues } = parsePolicy([{ file: 'p.yaml', text }]);
    expect(policy).toBeUndefined();
    const line = positionOf(text, '*g').line;
    const column = positionOf(text, '*g').column + 4 * MAX_ALIASES;
    expect(issues).toEqual([{ file: 'p.yaml', line, column, path: '', message: `more than ${MAX_ALIASES} aliases in one document; refusing it` }]);
  });

  it('stops an expansion bomb that stays under the alias limit', () => {
    // 30 grants × 30 subjects × 100 groups = 90,000 values read from ~60 aliases.
    const groups = Array.from({ length: 100 }, (_, i) => `g${i}`).join(', ');
    const subjects = Array.from({ length: 30 }, () => '*s').join(', ');
    const grants = Array.from({ length: 29 }, () => '*t').join(', ');
    const text = `${BASE}x-anchors: {}\n`.replace(
      '  grants:\n',
      `  grants:\n    - &t\n      name: big\n      clusters: [dev]\n      clusterRole: view\n      namespaces: ["*"]\n      maxTTL: 1h\n      subjects: [${subjects.replace('*s', `&s { groups: [${groups}] }`)}]\n    - ${grants.split(', ').join('\n    - ')}\n`,
    ).replace('x-anchors: {}\n', '');
    const started = Date.now();
    const { policy, issues } = parsePolicy([{ file: 'bomb.yaml', text }]);
    expect(policy).toBeUndefined();
    expect(issues.map((i) => i.message)).toContain('the document expands to more than 50000 values through aliases; refusing it');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('refuses a file over the size limit without parsing it', () => {
    const text = `${BASE}# ${'x'.repeat(MAX_POLICY_BYTES)}\n`;
    expect(parsePolicy([{ file: 'huge.yaml', text }]).issues).toEqual([
      { file: 'huge.yaml', line: 1, column: 1, path: '', message: 'file is larger than 1024 KiB; refusing to read it' },
    ]);
  });

  it('reads aliases within the limits like the values they stand for', () => {
    const text = mutate(BASE, '        - groups: [dev]', '        - groups: &devs [dev, qa]\n        - principals: *devs');
    const { policy, issues } = parsePolicy([{ file: 'p.yaml', text }]);
    expect(issues).toEqual([]);
    expect(policy?.grants[0]?.subjects).toEqual([{ groups: ['dev', 'qa'] }, { principals: ['dev', 'qa'] }]);
  });

  it('treats YAML 1.1 merge keys as the unknown field they are in YAML 1.2', () => {
    const text = mutate(BASE, '      maxTTL: 8h', '      maxTTL: 8h\n      <<: { reasonRequired: true }');
    expect(parsePolicy([{ file: 'p.yaml', text }]).issues.map((i) => i.path)).toEqual(['spec.grants[0]."<<"']);
  });
});
