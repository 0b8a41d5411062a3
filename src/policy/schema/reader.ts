/**
 * Reads a parsed YAML document field by field, the way a schema would: every value is checked for
 * its type and shape where it is read, and every problem becomes a {@link PolicyIssue} at the exact
 * line and column with its field path. Readers never throw and never stop at the first problem;
 * they return `undefined` for a value they could not read so the caller can go on and find more.
 */
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node as YamlNode, type YAMLMap } from 'yaml';
import { durationExpectation, formatDuration, tryParseDuration } from '../duration.js';
import { expandEnv, hasEnvReference, type PolicyEnv } from './env.js';
import type { PolicyIssue } from './issues.js';
import { didYouMean } from './suggest.js';

/** Where something is in a file. */
export interface Position {
  file: string;
  line: number;
  column: number;
}

/** Values a document may expand to before it is refused as an alias bomb. */
export const MAX_DOCUMENT_NODES = 50_000;

/** One YAML document being read: its file, positions of every field read, and the shared issue list. */
export class DocumentContext {
  /** Position of every field path read so far, for checks made after reading (references, merges). */
  readonly positions = new Map<string, Position>();
  private nodesLeft = MAX_DOCUMENT_NODES;
  private bombReported = false;

  constructor(
    readonly file: string,
    private readonly lineCounter: LineCounter,
    private readonly doc: Document,
    private readonly issues: PolicyIssue[],
    readonly env: PolicyEnv,
  ) {}

  /** The 1-based position of a character offset in this file. */
  positionOf(offset: number): Position {
    const { line, col } = this.lineCounter.linePos(offset);
    return { file: this.file, line, column: col };
  }

  /** Reports at `at`, else at the recorded position of `path` or of its nearest recorded parent. */
  report(path: string, message: string, at?: Position): void {
    const where = at ?? this.positionOfPath(path);
    this.issues.push({ file: where.file, line: where.line, column: where.column, path, message });
  }

  positionOfPath(path: string): Position {
    for (let p = path; ; p = parentPath(p)) {
      const hit = this.positions.get(p);
      if (hit) return hit;
      if (p === '') return { file: this.file, line: 1, column: 1 };
    }
  }

  /** The node an alias stands for; counts every node read so expansion stays bounded. */
  resolve(node: YamlNode, path: string): YamlNode | undefined {
    if (--this.nodesLeft < 0) {
      if (!this.bombReported) {
        this.bombReported = true;
        this.report(path, `the document expands to more than ${MAX_DOCUMENT_NODES} values through aliases; refusing it`);
      }
      return undefined;
    }
    let current: YamlNode | undefined = node;
    for (let hops = 0; current && isAlias(current); hops++) {
      if (hops > 16) return undefined;
      current = current.resolve(this.doc) as YamlNode | undefined;
    }
    return current;
  }
}

function parentPath(path: string): string {
  const cut = Math.max(path.lastIndexOf('.'), path.lastIndexOf('['));
  return cut <= 0 ? '' : path.slice(0, cut);
}

/** How a value that is not what was expected reads in a message. */
export function describeValue(node: YamlNode | undefined): string {
  if (!node) return 'nothing';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) return node.value === null ? 'null' : JSON.stringify(node.value);
  return 'an alias';
}

/** Options for {@link ValueReader.string}. */
export interface StringOptions {
  /** Expand `${NAME}` (only for the fields the schema marks). */
  env?: boolean;
  /** Must match this, else "expected <expected>". */
  pattern?: RegExp;
  /** Human description of the expected form, e.g. `a DNS label like "apps"`. */
  expected?: string;
  maxLength?: number;
}

const ENV_FIELDS_HINT = 'environment variables are expanded only in endpoints, caFile, kubeconfig and issuer URLs';

/** Reads one value at a path. A missing value (absent or null) is not an error unless `required()` says so. */
export class ValueReader {
  readonly node: YamlNode | undefined;

  constructor(
    readonly ctx: DocumentContext,
    readonly path: string,
    node: YamlNode | null | undefined,
    /** Where to report a missing value: the enclosing mapping. */
    private readonly parentAt?: Position,
  ) {
    if (node && node.range) ctx.positions.set(path, ctx.positionOf(node.range[0]));
    const resolved = node ? ctx.resolve(node, path) : undefined;
    this.node = resolved && isScalar(resolved) && resolved.value === null ? undefined : resolved;
  }

  get present(): boolean {
    return this.node !== undefined;
  }

  /** Where this value is, or where it would be. */
  get position(): Position {
    return this.ctx.positions.get(this.path) ?? this.parentAt ?? this.ctx.positionOfPath(this.path);
  }

  report(message: string): void {
    this.ctx.report(this.path, message, this.position);
  }

  /** Reports a missing value; returns whether the value is present. */
  required(): boolean {
    if (!this.present) this.report('required field is missing');
    return this.present;
  }

  private expected(what: string): undefined {
    this.report(`expected ${what}, got ${describeValue(this.node)}`);
    return undefined;
  }

  /** A non-empty string scalar (numbers and booleans are refused: quote them). */
  string(opts: StringOptions = {}): string | undefined {
    if (!this.node) return undefined;
    if (!isScalar(this.node) || typeof this.node.value !== 'string') {
      const quoteHint = isScalar(this.node) && this.node.value !== null ? ' (quote it to make it a string)' : '';
      this.report(`expected ${opts.expected ?? 'a string'}, got ${describeValue(this.node)}${quoteHint}`);
      return undefined;
    }
    let value = this.node.value;
    if (hasEnvReference(value)) {
      if (!opts.env) {
        this.report(`${JSON.stringify(value)} contains \${…}, but ${ENV_FIELDS_HINT}`);
        return undefined;
      }
      const expanded = expandEnv(value, this.ctx.env);
      if (expanded.missing.length > 0) {
        this.report(`environment variable ${expanded.missing.join(', ')} is not set (use \${NAME:-default} for a default)`);
        return undefined;
      }
      value = expanded.value;
    }
    if (value.trim() === '') return this.expected(opts.expected ?? 'a non-empty string');
    if (opts.maxLength !== undefined && value.length > opts.maxLength) {
      this.report(`expected at most ${opts.maxLength} characters, got ${value.length}`);
      return undefined;
    }
    if (opts.pattern && !opts.pattern.test(value)) {
      this.report(`expected ${opts.expected ?? `a value matching ${String(opts.pattern)}`}, got ${JSON.stringify(value)}`);
      return undefined;
    }
    return value;
  }

  /** One of a fixed set of strings, with a "did you mean" for near misses. */
  oneOf<T extends string>(values: readonly T[]): T | undefined {
    if (!this.node) return undefined;
    const value = isScalar(this.node) ? this.node.value : undefined;
    if (typeof value === 'string' && (values as readonly string[]).includes(value)) return value as T;
    const options = values.map((v) => JSON.stringify(v)).join(', ');
    const hint = typeof value === 'string' ? didYouMean(value, values) : '';
    this.report(`expected one of ${options}, got ${describeValue(this.node)}${hint}`);
    return undefined;
  }

  boolean(): boolean | undefined {
    if (!this.node) return undefined;
    if (isScalar(this.node) && typeof this.node.value === 'boolean') return this.node.value;
    return this.expected('true or false');
  }

  integer(min: number, max: number): number | undefined {
    if (!this.node) return undefined;
    const value = isScalar(this.node) ? this.node.value : undefined;
    if (typeof value !== 'number' || !Number.isInteger(value)) return this.expected(`a whole number from ${min} to ${max}`);
    if (value < min || value > max) {
      this.report(`expected a whole number from ${min} to ${max}, got ${value}`);
      return undefined;
    }
    return value;
  }

  /** A duration like `15m`, `1h`, `1h30m`, in milliseconds, within [min, max]. */
  duration(min: number, max: number): number | undefined {
    if (!this.node) return undefined;
    const value = isScalar(this.node) ? this.node.value : undefined;
    const ms = typeof value === 'string' ? tryParseDuration(value) : undefined;
    if (ms === undefined) {
      this.report(isScalar(this.node) ? durationExpectation(value) : `expected a duration like 15m or 1h, got ${describeValue(this.node)}`);
      return undefined;
    }
    if (ms < min || ms > max) {
      this.report(`expected a duration from ${formatDuration(min)} to ${formatDuration(max)}, got ${JSON.stringify(value)}`);
      return undefined;
    }
    return ms;
  }

  /** The items of a list, each with its own reader. */
  list(opts: { nonEmpty?: boolean } = {}): ValueReader[] | undefined {
    if (!this.node) return undefined;
    if (!isSeq(this.node)) return this.expected('a list');
    if (opts.nonEmpty && this.node.items.length === 0) {
      this.report('expected at least one entry, got an empty list');
      return undefined;
    }
    return this.node.items.map((item, i) => new ValueReader(this.ctx, `${this.path}[${i}]`, item as YamlNode, this.position));
  }

  /** A list of strings; items that are not strings are reported and left out. */
  strings(opts: StringOptions & { nonEmpty?: boolean } = {}): string[] | undefined {
    const items = this.list({ nonEmpty: opts.nonEmpty });
    if (!items) return undefined;
    const values: string[] = [];
    for (const item of items) {
      const value = item.present ? item.string(opts) : item.expected(opts.expected ?? 'a string');
      if (value !== undefined) values.push(value);
    }
    return values;
  }

  /** A mapping whose keys must all be in `fields` (unknown keys are reported with a suggestion). */
  map(fields: readonly string[] | 'any'): MapReader | undefined {
    if (!this.node) return undefined;
    if (!isMap(this.node)) return this.expected('a mapping');
    const reader = new MapReader(this.ctx, this.path, this.node, this.position);
    if (fields !== 'any') reader.allowOnly(fields);
    return reader;
  }
}

/** A mapping's fields, by name. */
export class MapReader {
  private readonly entries = new Map<string, { key: YamlNode; value: YamlNode | null }>();

  constructor(
    readonly ctx: DocumentContext,
    readonly path: string,
    node: YAMLMap,
    readonly position: Position,
  ) {
    for (const pair of node.items) {
      const key = pair.key as YamlNode | null;
      const name = key && isScalar(key) ? key.value : undefined;
      if (typeof name !== 'string' || !key) {
        const at = key?.range ? ctx.positionOf(key.range[0]) : position;
        ctx.report(path, `expected field names to be strings, got ${describeValue(key ?? undefined)}`, at);
        continue;
      }
      this.entries.set(name, { key, value: pair.value as YamlNode | null });
    }
  }

  /** Field names present, in file order. */
  get names(): string[] {
    return [...this.entries.keys()];
  }

  /** Reports every field not in `fields`, suggesting the nearest known one. */
  allowOnly(fields: readonly string[], why = ''): void {
    for (const [name, { key }] of this.entries) {
      if (fields.includes(name)) continue;
      const at = key.range ? this.ctx.positionOf(key.range[0]) : this.position;
      const suggestion = didYouMean(name, fields);
      const known = suggestion || ` (known fields: ${fields.join(', ')})`;
      this.ctx.report(this.childPath(name), `unknown field${why}${known}`, at);
    }
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  field(name: string): ValueReader {
    return new ValueReader(this.ctx, this.childPath(name), this.entries.get(name)?.value, this.position);
  }

  private childPath(name: string): string {
    const segment = /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : JSON.stringify(name);
    return this.path ? `${this.path}.${segment}` : segment;
  }
}
