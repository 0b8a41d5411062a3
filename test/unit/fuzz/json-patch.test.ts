/**
 * Fuzzing JSON-patch documents (RFC 6902) against a Secret, applied as the sim's apiserver applies
 * them, then masked as the broker masks the response (`kubectl patch --type=json … -o yaml`). Any
 * document gets an answer (the patched object or a 422 Status); what the Secret holds in `data`
 * and `stringData`, and detector-shaped secrets a patch writes into scanned fields, never come out.
 *
 * The broker's guard (src/mask/patch-guard.ts) refuses, before forwarding, every `copy`, `move`
 * and `test` that reads a masked path (Secret data and every other Secret field but its identity,
 * ConfigMap keys the policy marks, env vars), however the pointer and the operation are spelled;
 * and whatever document it lets through, applied and masked in every response shape, shows none
 * of the Secret's data.
 */
import { createMasker, createPatchGuard, maskJsonBody } from '../../../src/mask/index.js';
import type { PatchTarget } from '../../../src/mask/index.js';
import { defaultMasking } from '../../../src/policy/schema/index.js';
import { jsonPatch } from '../../sim/kube/patch.js';
import { StatusError } from '../../sim/kube/types.js';
import { FUZZ_SEED, Gen, fuzzRuns, maskedInEveryShape, plantSecret, shapeLeaks, BOUNDARIES } from './support.js';

const masker = createMasker(defaultMasking());
const guard = createPatchGuard(defaultMasking());
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A Secret with fresh values in data and stringData; the values must never be seen after masking. */
function secret(gen: Gen, secrets: Set<string>): Record<string, unknown> {
  const fresh = () => {
    const value = gen.chars(ALNUM, 20);
    secrets.add(value);
    return value;
  };
  const data: Record<string, string> = {};
  for (const key of ['password', 'token', gen.chars(ALNUM, 5)]) data[key] = Buffer.from(fresh()).toString('base64');
  return {
    kind: 'Secret',
    apiVersion: 'v1',
    metadata: { name: 'db-credentials', namespace: 'prod', labels: { app: 'db' }, annotations: { note: 'x' }, finalizers: ['example.com/keep'] },
    data,
    stringData: { extra: fresh() },
    type: 'Opaque',
  };
}

const ANY_POINTERS = ['', '/', '/data', '/data/password', '/data/-', '/data/~1x', '/data/~0', '/metadata', '/metadata/labels', '/metadata/labels/a~1b', '/metadata/finalizers/0', '/metadata/finalizers/-', '/metadata/finalizers/9', '/kind', '/type', '/x/y/z', 'data', '/data/password/0', '/~2', '/0'];

/** A random operation of any shape, valid or not. */
function anyOperation(gen: Gen): unknown {
  const op: Record<string, unknown> = { op: gen.pick(['add', 'remove', 'replace', 'move', 'copy', 'test', 'ADD', '', 'merge', 7]), path: gen.pick([...ANY_POINTERS, 3, null]) };
  if (gen.chance(0.5)) op.from = gen.pick(ANY_POINTERS);
  if (gen.chance(0.7)) op.value = gen.pick([null, 1, 'v', [], {}, { a: [1, { b: 'c' }] }, gen.oddText(4)]);
  return gen.chance(0.05) ? gen.pick([null, 'op', [], 1]) : op;
}

/** Where a patch may write a detector-shaped value that masking must then find. */
const SCANNED = ['/metadata/labels/l', '/metadata/annotations/a', '/extra', '/data/new', '/stringData/s'];

/** An operation that keeps Secret data inside `data` and `stringData`. */
function keepingOperation(gen: Gen, secrets: Set<string>): Record<string, unknown> {
  const dataKey = () => `/${gen.pick(['data', 'stringData'])}/${gen.pick(['password', 'token', 'extra', 'moved'])}`;
  switch (gen.int(6)) {
    case 0: {
      const planted = plantSecret(gen);
      for (const s of planted.secrets) secrets.add(s);
      return { op: 'add', path: gen.pick(SCANNED), value: `${gen.oddText(2)}${gen.pick(BOUNDARIES)}${planted.text}${gen.pick(BOUNDARIES)}` };
    }
    case 1:
      return { op: gen.pick(['move', 'copy']), from: dataKey(), path: dataKey() };
    case 2:
      return { op: 'remove', path: gen.pick([dataKey(), '/metadata/labels/app', '/stringData']) };
    case 3:
      return { op: 'replace', path: gen.pick(['/metadata/annotations/note', '/type', '/metadata/labels/app']), value: gen.oddText(4) };
    case 4:
      return { op: 'copy', from: gen.pick(['/metadata/labels/app', '/type', '/metadata/annotations/note']), path: gen.pick([dataKey(), '/metadata/annotations/copy']) };
    default:
      return { op: 'test', path: '/type', value: 'Opaque' };
  }
}

const SECRETS: PatchTarget = { apiGroup: '', resource: 'secrets' };
const CONFIGMAPS: PatchTarget = { apiGroup: '', resource: 'configmaps' };
const PODS: PatchTarget = { apiGroup: '', resource: 'pods' };
const DEPLOYMENTS: PatchTarget = { apiGroup: 'apps', resource: 'deployments' };

/** A JSON pointer to `tokens`, escaped as RFC 6901 says (`~0`, `~1`). */
function pointer(tokens: readonly string[]): string {
  return tokens.map((t) => `/${t.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

/** A key as hostile as the apiserver would still store: slashes and tildes to escape, odd Unicode, empty, index-like. */
function anyKey(gen: Gen): string {
  return gen.pick(['password', 'tls.key', 'a/b', 'a~b', '~1', '', '-', '0', 'x'.repeat(300), gen.oddText(3), gen.chars(ALNUM, 5)]);
}

/** An array index as Go's `strconv.Atoi` reads it. */
function anyIndex(gen: Gen): string {
  return gen.pick(['0', '1', '-', '-1', '+0', '00', String(gen.int(5))]);
}

/** Identity fields the guard lets a patch read on a Secret (the masker shows them anyway). */
const SECRET_IDENTITY = ['name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds'];

/** Makers of a masked source: the resource, and a pointer into a value kgate masks there. */
const MASKED_SOURCES: ((gen: Gen) => [PatchTarget, string])[] = [
  (gen) => [SECRETS, pointer(gen.pick([['data', anyKey(gen)], ['data'], ['stringData', anyKey(gen)], ['stringData'], ['data', anyKey(gen), anyIndex(gen)]]))],
  (gen) => [SECRETS, gen.pick(['', '/'])],
  (gen) =>
    [SECRETS, pointer(gen.pick([
      ['metadata'], ['metadata', 'labels', anyKey(gen)], ['metadata', 'annotations'], ['metadata', 'annotations', anyKey(gen)], ['metadata', 'annotations', 'kubectl.kubernetes.io/last-applied-configuration'],
      ['metadata', 'finalizers', anyIndex(gen)], ['metadata', 'generateName'], ['metadata', 'ownerReferences', anyIndex(gen), gen.pick(['name', 'kind', 'uid'])], ['metadata', 'managedFields', anyIndex(gen), 'manager'],
      ['metadata', gen.pick(SECRET_IDENTITY), anyKey(gen)], ['metadata', anyKey(gen)], ['type'], [anyKey(gen)], [gen.pick(['Data', 'DATA', 'data '])],
    ]))],
  (gen) => [CONFIGMAPS, pointer(gen.pick([['data', `${gen.chars(ALNUM, 3)}${gen.pick(['password', 'secret', 'token', '.pem', '.key'])}`], ['data'], ['binaryData'], ['binaryData', `x${gen.pick(['.key', '.pem', 'token'])}`], []]))],
  (gen) => {
    const containers = gen.pick(['containers', 'initContainers', 'ephemeralContainers']);
    const tail = gen.pick([[], [anyIndex(gen)], [anyIndex(gen), 'env'], [anyIndex(gen), 'env', anyIndex(gen)], [anyIndex(gen), 'env', anyIndex(gen), 'value']]);
    return gen.chance(0.5) ? [PODS, pointer(['spec', containers, ...tail])] : [DEPLOYMENTS, pointer(['spec', 'template', 'spec', containers, ...tail])];
  },
];

/** Where a read value could be written to be shown. */
const DESTINATIONS = ['/metadata/annotations/x', '/metadata/labels/x', '/metadata/generateName', '/metadata/finalizers/-', '/metadata/ownerReferences/0/name', '/metadata/managedFields/0/manager', '/type', '/x', '/data/copy', '/spec/x'];

/** Operations that read nothing masked: writes of literal values, and reads of identity fields. */
function harmless(gen: Gen): Record<string, unknown>[] {
  return Array.from({ length: gen.int(3) }, () =>
    gen.pick([
      { op: 'add', path: '/metadata/labels/tier', value: gen.oddText(3) },
      { op: 'replace', path: '/metadata/annotations/note', value: 'y' },
      { op: 'remove', path: '/metadata/labels/app' },
      { op: 'test', path: '/metadata/name', value: 'db-credentials' },
      { op: 'copy', from: '/metadata/name', path: '/metadata/labels/name' },
      { op: 'copy', from: '/kind', path: '/metadata/annotations/kind' },
    ]),
  );
}

/**
 * `ops` as JSON with hostile spellings the guard must read as the apiserver does: members in any
 * order, unknown members, and a duplicated `field` (`from`, or `path` of a test) whose earlier copy
 * names a harmless path; the last copy, which both parsers keep, names the real one.
 */
function hostileDocument(gen: Gen, ops: readonly Record<string, unknown>[], field: 'from' | 'path'): string {
  const members = (op: Record<string, unknown>): string[] => {
    const out = Object.entries(op).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`);
    if (gen.chance(0.5)) out.reverse();
    if (gen.chance(0.2)) out.splice(gen.int(out.length + 1), 0, `${JSON.stringify(gen.pick(['note', 'From', 'value_', 'x']))}:${JSON.stringify(gen.oddText(2))}`);
    if (typeof op[field] === 'string' && gen.chance(0.3)) out.unshift(`${JSON.stringify(field)}:"/metadata/name"`);
    return out;
  };
  return `[${ops.map((op) => `{${members(op).join(gen.pick([',', ' , ', ',\n']))}}`).join(',')}]`;
}

/** Any operation an attacker could send to read the Secret: copy, move or test from anywhere, to anywhere, among plain writes. */
function attackOperation(gen: Gen, secrets: Set<string>): Record<string, unknown> {
  const source = gen.chance(0.6) ? gen.pick(MASKED_SOURCES.slice(0, 3))(gen)[1] : pointer(['metadata', gen.pick(SECRET_IDENTITY)]);
  switch (gen.int(5)) {
    case 0:
    case 1:
      return { op: gen.pick(['copy', 'move']), from: gen.chance(0.2) ? gen.pick(['/kind', '/apiVersion', '/immutable']) : source, path: gen.pick([...DESTINATIONS, '/metadata/name', '/kind']) };
    case 2:
      return { op: 'test', path: source, value: gen.pick(['Opaque', 'db-credentials', gen.oddText(2)]) };
    case 3:
      return keepingOperation(gen, secrets);
    default:
      return { op: gen.pick(['add', 'replace']), path: gen.pick(DESTINATIONS), value: gen.oddText(3) };
  }
}

describe(`fuzz: JSON-patch documents (seed ${FUZZ_SEED})`, () => {
  it(`get the patched object or a 422 Status for any document, never a crash (${fuzzRuns(3000)} documents)`, () => {
    const gen = new Gen(FUZZ_SEED + 30);
    for (let run = 0; run < fuzzRuns(3000); run++) {
      const ops = Array.from({ length: gen.int(6) }, () => anyOperation(gen));
      try {
        const patched = jsonPatch(secret(gen, new Set()), ops);
        maskJsonBody(masker, JSON.stringify(patched));
      } catch (error) {
        if (!(error instanceof StatusError) || error.code !== 422) throw new Error(`run ${run}: ${JSON.stringify(ops)}: ${(error as Error).name}: ${(error as Error).message}`);
      }
    }
  });

  it(`never show Secret data, or secrets a patch wrote, in the masked response (${fuzzRuns(2000)} documents)`, () => {
    const gen = new Gen(FUZZ_SEED + 31);
    let applied = 0;
    for (let run = 0; run < fuzzRuns(2000); run++) {
      const secrets = new Set<string>();
      const original = secret(gen, secrets);
      const ops = Array.from({ length: 1 + gen.int(6) }, () => keepingOperation(gen, secrets));
      let patched: Record<string, unknown>;
      try {
        patched = jsonPatch(original, ops);
      } catch (error) {
        if (error instanceof StatusError) continue;
        throw error;
      }
      applied++;
      const out = maskJsonBody(masker, JSON.stringify(patched)).body;
      const leaked = [...secrets].filter((s) => out.includes(s) || out.includes(Buffer.from(s).toString('base64')));
      expect({ run, ops, leaked }).toEqual({ run, ops, leaked: [] });
    }
    expect(applied).toBeGreaterThan(fuzzRuns(2000) / 4);
  });

  it(`refuse every copy, move or test that reads a masked path, however spelled (${fuzzRuns(1500)} documents)`, () => {
    const gen = new Gen(FUZZ_SEED + 32);
    for (let run = 0; run < fuzzRuns(1500); run++) {
      const [target, source] = gen.pick(MASKED_SOURCES)(gen);
      const read = gen.pick(['copy', 'move', 'test']);
      const op: Record<string, unknown> = read === 'test' ? { op: 'test', path: source, value: gen.pick(['guess', gen.oddText(3), { a: 1 }, null]) } : { op: read, from: source, path: gen.pick(DESTINATIONS) };
      const ops = [...harmless(gen), op, ...harmless(gen)];
      const body = hostileDocument(gen, ops, read === 'test' ? 'path' : 'from');
      const verdict = guard.check(target, body);
      expect({ run, body, verdict }).toEqual({ run, body, verdict: { ok: false, code: 403, reason: expect.stringMatching(/refuses copy, move and test on masked values/) as unknown } });
    }
  });

  it(`let through nothing that shows Secret data once applied and masked in any response shape (${fuzzRuns(400)} documents)`, () => {
    const gen = new Gen(FUZZ_SEED + 33);
    let accepted = 0;
    let refused = 0;
    for (let run = 0; run < fuzzRuns(400); run++) {
      const secrets = new Set<string>();
      const original = secret(gen, secrets);
      const ops = Array.from({ length: 1 + gen.int(4) }, () => attackOperation(gen, secrets));
      const body = hostileDocument(gen, ops, 'from');
      if (!guard.check(SECRETS, body).ok) {
        refused++;
        continue;
      }
      let patched: Record<string, unknown>;
      try {
        patched = jsonPatch(original, JSON.parse(body) as unknown[]);
      } catch (error) {
        if (error instanceof StatusError) continue;
        throw error;
      }
      accepted++;
      // The apiserver answers with the object decoded as a Secret; a 422 quotes the patched JSON as it is.
      const answer = { ...patched, kind: 'Secret', apiVersion: 'v1' };
      const meta = patched.metadata as Record<string, unknown> | undefined;
      const cells = [meta?.name ?? '', patched.type ?? '', 3, '5m'];
      const responses = maskedInEveryShape(gen, masker, answer, { target: SECRETS, cells, quoted: patched });
      expect({ run, ops, leaks: shapeLeaks(responses, secrets) }).toEqual({ run, ops, leaks: [] });
    }
    expect(accepted).toBeGreaterThan(fuzzRuns(400) / 10);
    expect(refused).toBeGreaterThan(fuzzRuns(400) / 4);
  });
});
