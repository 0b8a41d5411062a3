/**
 * JSON patches (`application/json-patch+json`, RFC 6902) that would make the apiserver put a
 * value kgate masks where kgate would show it, refused before they are forwarded:
 * - `copy` and `move` whose `from` is a masked value or holds one: every Secret field but the
 *   identity fields kgate always shows, a ConfigMap key the policy marks, an env var of a container
 *   (whose name may mark it), the last-applied annotation, an annotation the policy marks, and every
 *   object or array above them (`/data`, `/metadata`, the whole document);
 * - `test` on the same paths: the apiserver answers whether a guessed value is right, an oracle
 *   that reveals a masked value one request at a time;
 * - any write to an env var's `name` (`replace`, `add`, `remove`, `copy` or `move` onto it):
 *   renaming `DB_PASSWORD` to `X` would show its value in clear in the response.
 *
 * Pointers are read as the apiserver reads them (src/kube/json-pointer.ts); a pointer that RFC
 * 6901 does not allow (no leading `/`) or an operation the apiserver could read differently from
 * kgate is refused as a bad request. Pure: no I/O.
 */
import { isStrictPointer, pointerTokens } from '../kube/json-pointer.js';
import type { MaskingConfig } from '../policy/types.js';
import { CONTAINER_ARRAYS, LAST_APPLIED_ANNOTATION } from './fields.js';
import { compileMarkedNames, type MarkedNames } from './globs.js';

/** The resource a patch is sent to, as the request names it. */
export interface PatchTarget {
  apiGroup: string;
  resource: string;
}

/** Whether a patch may be forwarded, and why not. */
export type PatchVerdict = { ok: true } | { ok: false; code: 400 | 403; reason: string };

/** Decides JSON patches for one masking policy. */
export interface PatchGuard {
  /** The verdict on one JSON-patch body sent to `target`. */
  check(target: PatchTarget, body: string): PatchVerdict;
}

const OPS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);
/** Secret fields kgate always shows in clear, as `/`-joined tokens: only these may be read. */
const SECRET_CLEAR = new Set([
  'kind', 'apiVersion', 'immutable',
  ...['name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds'].map((f) => `metadata\u0000${f}`),
]);
const MAX_SHOWN_POINTER = 200;

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A pointer as a refusal quotes it: JSON-quoted and cut, so odd bytes cannot garble the message. */
function shown(pointer: string): string {
  return JSON.stringify(pointer.length > MAX_SHOWN_POINTER ? `${pointer.slice(0, MAX_SHOWN_POINTER)}…` : pointer);
}

function refuse(code: 400 | 403, reason: string): PatchVerdict {
  return { ok: false, code, reason };
}

class JsonPatchGuard implements PatchGuard {
  private readonly names: MarkedNames;

  constructor(private readonly config: MaskingConfig) {
    this.names = compileMarkedNames(config);
  }

  check(target: PatchTarget, body: string): PatchVerdict {
    let ops: unknown;
    try {
      ops = JSON.parse(body);
    } catch {
      return refuse(400, 'kgate could not read this JSON patch: the body is not valid JSON');
    }
    if (!Array.isArray(ops)) return refuse(400, 'kgate could not read this JSON patch: it must be an array of operations');
    for (let i = 0; i < ops.length; i++) {
      const verdict = this.operation(target, ops[i], i);
      if (!verdict.ok) return verdict;
    }
    return { ok: true };
  }

  private operation(target: PatchTarget, op: unknown, index: number): PatchVerdict {
    const which = `JSON patch operation ${index}`;
    if (!isObject(op) || typeof op.op !== 'string' || !OPS.has(op.op)) return refuse(400, `kgate could not read ${which}: "op" must be one of add, remove, replace, move, copy, test`);
    if (typeof op.path !== 'string' || !isStrictPointer(op.path)) return refuse(400, `kgate could not read ${which}: "path" must be a JSON pointer starting with "/"`);
    const reads = op.op === 'copy' || op.op === 'move';
    if (reads && (typeof op.from !== 'string' || !isStrictPointer(op.from))) return refuse(400, `kgate could not read ${which}: "from" must be a JSON pointer starting with "/"`);
    const source = reads ? (op.from as string) : op.op === 'test' ? op.path : undefined;
    if (source !== undefined) {
      const masked = this.maskedAt(target, pointerTokens(source) ?? []);
      if (masked) {
        const verb = op.op === 'test' ? 'tests' : op.op === 'copy' ? 'copies from' : 'moves';
        return refuse(403, `${which} (${op.op}) ${verb} ${shown(source)}, which holds ${masked}; kgate refuses copy, move and test on masked values, since the apiserver's answer would reveal them`);
      }
    }
    if (op.op !== 'test' && this.namesEnvVar(pointerTokens(op.path) ?? [])) {
      return refuse(403, `${which} (${op.op}) writes ${shown(op.path)}, the name of an env var; kgate masks env values by name, so it refuses renaming them in a JSON patch (replace the whole entry instead)`);
    }
    return { ok: true };
  }

  /** What masked value the subtree at `tokens` holds, or undefined when it holds none. */
  private maskedAt(target: PatchTarget, tokens: readonly string[]): string | undefined {
    if (tokens.length === 0) return 'the whole object';
    const core = target.apiGroup === '';
    if (core && target.resource === 'secrets' && this.config.secrets) {
      return SECRET_CLEAR.has(tokens.join('\u0000')) ? undefined : 'a Secret field kgate masks (only identity fields may be read)';
    }
    if (core && target.resource === 'configmaps' && this.names.configMapKeys && (tokens[0] === 'data' || tokens[0] === 'binaryData')) {
      if (tokens.length === 1) return `ConfigMap ${tokens[0]} with keys the policy masks`;
      if (this.names.configMapKeys.test(tokens[1]!)) return 'a ConfigMap key the policy masks';
    }
    if (tokens[0] === 'metadata') {
      const annotations = this.config.lastAppliedConfiguration || this.names.annotations !== undefined;
      if (tokens.length === 1 && annotations) return 'annotations kgate masks';
      if (tokens[1] === 'annotations') {
        if (tokens.length === 2 && annotations) return 'annotations kgate masks';
        const key = tokens[2];
        if (key === LAST_APPLIED_ANNOTATION && this.config.lastAppliedConfiguration) return 'the last-applied-configuration annotation';
        if (key !== undefined && this.names.annotations?.test(key)) return 'an annotation the policy masks';
      }
    }
    if (this.names.envNames && this.inEnv(tokens)) return 'env var values (masked by name)';
    return undefined;
  }

  /**
   * A containers array, one container, its `env` or anything in it: the masker knows an env value
   * by the `containers`/`env` keys around it, which a copy to another place would lose. Copies of
   * what lies above a containers array keep those keys, and the copy stays masked.
   */
  private inEnv(tokens: readonly string[]): boolean {
    for (let i = 0; i < tokens.length; i++) {
      if (!CONTAINER_ARRAYS.has(tokens[i]!)) continue;
      const rest = tokens.length - i - 1;
      if (rest <= 1 || tokens[i + 2] === 'env') return true;
    }
    return false;
  }

  /** `…/containers/<i>/env/<j>/name` (or below), when env names mark values. */
  private namesEnvVar(tokens: readonly string[]): boolean {
    if (!this.names.envNames) return false;
    for (let i = 0; i + 4 < tokens.length; i++) {
      if (CONTAINER_ARRAYS.has(tokens[i]!) && tokens[i + 2] === 'env' && tokens[i + 4] === 'name') return true;
    }
    return false;
  }
}

/**
 * The JSON-patch guard for a policy's `masking` section.
 * @throws MaskError `MASK_CONFIG` for an invalid glob.
 */
export function createPatchGuard(config: MaskingConfig): PatchGuard {
  return new JsonPatchGuard(config);
}
