/**
 * Label and field selectors with the grammar of apimachinery's pkg/labels and pkg/fields:
 * what `labelSelector=` and `fieldSelector=` on list, watch and deletecollection filter by.
 */
import { StatusError } from './types.js';

export type FieldOperator = '=' | '==' | '!=';
export interface FieldTerm { field: string; operator: FieldOperator; value: string }

/** Parses a field selector (`a=b,c!=d`, values escaped with `\`); throws StatusError 400. */
export function parseFieldSelector(selector: string): FieldTerm[] {
  const terms: FieldTerm[] = [];
  for (const part of splitUnescaped(selector, ',')) {
    if (part === '') continue;
    const term = parseFieldTerm(part);
    if (!term) throw new StatusError(400, 'BadRequest', `invalid selector: '${selector}'; can't understand '${part}'`);
    terms.push(term);
  }
  return terms;
}

function parseFieldTerm(part: string): FieldTerm | undefined {
  for (const operator of ['!=', '==', '='] as const) {
    const at = indexOfUnescaped(part, operator);
    if (at < 0) continue;
    const field = part.slice(0, at);
    const raw = part.slice(at + operator.length);
    const value = unescapeFieldValue(raw);
    if (value === undefined) return undefined;
    return { field, operator, value };
  }
  return undefined;
}

function indexOfUnescaped(text: string, needle: string): number {
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\') {
      i++;
      continue;
    }
    if (text.startsWith(needle, i)) return i;
  }
  return -1;
}

function splitUnescaped(text: string, separator: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\\' && i + 1 < text.length) {
      current += ch + text[i + 1];
      i++;
    } else if (ch === separator) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts;
}

function unescapeFieldValue(raw: string): string | undefined {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i]!;
    if (ch === '\\') {
      const next = raw[i + 1];
      if (next !== '\\' && next !== ',' && next !== '=') return undefined;
      out += next;
      i++;
    } else if (ch === ',' || ch === '=') return undefined;
    else out += ch;
  }
  return out;
}

/** Like fields.Selector.RequiresExactMatch: the value of the first `field=`/`field==` term. */
export function requiresExactMatch(terms: FieldTerm[], field: string): string | undefined {
  return terms.find((t) => t.field === field && t.operator !== '!=')?.value;
}

/** Whether the field values satisfy every term. */
export function matchesFields(terms: FieldTerm[], values: Record<string, string>): boolean {
  return terms.every((t) => {
    const actual = values[t.field] ?? '';
    return t.operator === '!=' ? actual !== t.value : actual === t.value;
  });
}

export type LabelOperator = 'exists' | '!' | '=' | '!=' | 'in' | 'notin' | 'gt' | 'lt';
export interface LabelRequirement { key: string; operator: LabelOperator; values: string[] }

const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;

/** Parses a label selector (`a=b,c!=d,e in (x,y),!f,g`); throws StatusError 400. */
export function parseLabelSelector(selector: string): LabelRequirement[] {
  const requirements: LabelRequirement[] = [];
  for (const raw of splitRequirements(selector)) {
    const text = raw.trim();
    if (text === '') continue;
    const requirement = parseRequirement(text);
    if (!requirement) throw new StatusError(400, 'BadRequest', `unable to parse requirement: found '${text}', expected: identifier`);
    if (!LABEL_KEY.test(requirement.key) || requirement.values.some((v) => !LABEL_VALUE.test(v))) {
      throw new StatusError(400, 'BadRequest', `unable to parse requirement: invalid label key or value in '${text}'`);
    }
    requirements.push(requirement);
  }
  return requirements;
}

/** Splits on commas outside parentheses (`in (a,b)` keeps its list). */
function splitRequirements(selector: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts;
}

function parseRequirement(text: string): LabelRequirement | undefined {
  if (text.startsWith('!')) return { key: text.slice(1).trim(), operator: '!', values: [] };
  const setMatch = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(text);
  if (setMatch) {
    const values = setMatch[3]!.split(',').map((v) => v.trim());
    return { key: setMatch[1]!, operator: setMatch[2] as 'in' | 'notin', values };
  }
  const opMatch = /^([^=!<>\s]+)\s*(==|=|!=|>|<)\s*(\S*)$/.exec(text);
  if (opMatch) {
    const symbol = opMatch[2]!;
    const operator: LabelOperator = symbol === '==' ? '=' : symbol === '>' ? 'gt' : symbol === '<' ? 'lt' : (symbol as '=' | '!=');
    if ((operator === 'gt' || operator === 'lt') && !/^-?\d+$/.test(opMatch[3]!)) return undefined;
    return { key: opMatch[1]!, operator, values: [opMatch[3]!] };
  }
  if (/^[^\s=!<>(),]+$/.test(text)) return { key: text, operator: 'exists', values: [] };
  return undefined;
}

/** Whether the labels satisfy every requirement (labels.Selector.Matches). */
export function matchesLabels(requirements: LabelRequirement[], labels: Record<string, string> | undefined): boolean {
  const set = labels ?? {};
  return requirements.every((r) => {
    const has = Object.hasOwn(set, r.key);
    const value = set[r.key];
    switch (r.operator) {
      case 'exists': return has;
      case '!': return !has;
      case '=': return has && value === r.values[0];
      case '!=': return !has || value !== r.values[0];
      case 'in': return has && r.values.includes(value!);
      case 'notin': return !has || !r.values.includes(value!);
      case 'gt': return has && /^-?\d+$/.test(value!) && Number(value) > Number(r.values[0]);
      case 'lt': return has && /^-?\d+$/.test(value!) && Number(value) < Number(r.values[0]);
    }
  });
}

function readPath(object: unknown, path: string): string {
  let node: unknown = object;
  for (const part of path.split('.')) node = node && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined;
  if (node === undefined || node === null) return '';
  return typeof node === 'object' ? JSON.stringify(node) : String(node);
}

/** A predicate over objects of a type: namespace, name, field and label selectors of a list/watch. */
export type ObjectMatcher = (object: { metadata: { name: string; namespace?: string; labels?: Record<string, string> } }) => boolean;

/**
 * Builds the list/watch predicate. Field labels other than metadata.name, metadata.namespace and
 * the type's selectable fields are a 400 `field label not supported`, as in the apiserver.
 */
export function objectMatcher(opts: { namespace: string; name: string; fieldSelector: string; labelSelector: string; selectableFields: readonly string[] }): ObjectMatcher {
  const fields = parseFieldSelector(opts.fieldSelector);
  const labels = parseLabelSelector(opts.labelSelector);
  for (const term of fields) {
    if (term.field !== 'metadata.name' && term.field !== 'metadata.namespace' && !opts.selectableFields.includes(term.field)) {
      throw new StatusError(400, 'BadRequest', `field label not supported: ${term.field}`);
    }
  }
  return (object) => {
    if (opts.namespace && object.metadata.namespace !== opts.namespace) return false;
    if (opts.name && object.metadata.name !== opts.name) return false;
    const values: Record<string, string> = { 'metadata.name': object.metadata.name, 'metadata.namespace': object.metadata.namespace ?? '' };
    for (const f of opts.selectableFields) values[f] = readPath(object, f);
    return matchesFields(fields, values) && matchesLabels(labels, object.metadata.labels);
  };
}
