/**
 * Field and label selectors as the apiserver parses them while decoding ListOptions
 * (apimachinery pkg/fields/selector.go, pkg/labels/selector.go). RequestInfo needs two facts:
 * whether the selectors parse at all (a failed decode resets the options) and which name a field
 * selector pins with `metadata.name=`.
 */

/** A parsed field selector term: `field=value`, `field==value` or `field!=value`. */
export interface FieldTerm {
  field: string;
  operator: '=' | '==' | '!=';
  value: string;
}

const TERM_OPERATORS = ['!=', '==', '='] as const;

function splitFieldTerms(selector: string): string[] {
  const terms: string[] = [];
  let start = 0;
  let escaped = false;
  for (let i = 0; i < selector.length; i++) {
    const ch = selector[i];
    if (escaped) escaped = false;
    else if (ch === '\\') escaped = true;
    else if (ch === ',') {
      terms.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(selector.slice(start));
  return terms;
}

// fields.splitTerm scans every position, escaped or not, for the first operator.
function splitFieldTerm(term: string): [string, FieldTerm['operator'], string] | undefined {
  for (let i = 0; i < term.length; i++) {
    for (const op of TERM_OPERATORS) if (term.startsWith(op, i)) return [term.slice(0, i), op, term.slice(i + op.length)];
  }
  return undefined;
}

function unescapeFieldValue(raw: string): string | undefined {
  let out = '';
  let escaped = false;
  for (const ch of raw) {
    if (escaped) {
      if (ch !== '\\' && ch !== ',' && ch !== '=') return undefined;
      out += ch;
      escaped = false;
    } else if (ch === '\\') escaped = true;
    else if (ch === ',' || ch === '=') return undefined;
    else out += ch;
  }
  return escaped ? undefined : out;
}

function byCodePoint(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/** fields.ParseSelector: terms sorted bytewise like Go; undefined when the selector is malformed. */
export function parseFieldSelector(selector: string): FieldTerm[] | undefined {
  if (selector === '') return [];
  const terms: FieldTerm[] = [];
  for (const part of splitFieldTerms(selector).sort(byCodePoint)) {
    if (part === '') continue;
    const split = splitFieldTerm(part);
    if (!split) return undefined;
    const value = unescapeFieldValue(split[2]);
    if (value === undefined) return undefined;
    terms.push({ field: split[0], operator: split[1], value });
  }
  return terms;
}

/** fields.Selector.RequiresExactMatch: the value of the first `field=`/`field==` term. */
export function requiresExactMatch(terms: readonly FieldTerm[], field: string): string | undefined {
  return terms.find((t) => t.field === field && t.operator !== '!=')?.value;
}

type LabelToken = { kind: 'id' | 'op' | 'in' | 'notin' | 'end'; text: string };

const SPECIAL = new Set(['=', '!', '(', ')', ',', '>', '<']);
const SYMBOLS = new Set(['!', '!=', '(', ')', ',', '=', '==', '>', '<']);
const WHITESPACE = new Set([' ', '\t', '\r', '\n']);
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function lexLabels(selector: string): LabelToken[] | undefined {
  const tokens: LabelToken[] = [];
  let i = 0;
  while (i < selector.length) {
    const ch = selector[i]!;
    if (WHITESPACE.has(ch)) {
      i++;
    } else if (SPECIAL.has(ch)) {
      let text = ch;
      i++;
      while (i < selector.length && SPECIAL.has(selector[i]!) && SYMBOLS.has(text + selector[i])) text += selector[i++];
      if (!SYMBOLS.has(text)) return undefined;
      tokens.push({ kind: 'op', text });
    } else {
      const start = i;
      while (i < selector.length && !WHITESPACE.has(selector[i]!) && !SPECIAL.has(selector[i]!)) i++;
      const text = selector.slice(start, i);
      tokens.push({ kind: text === 'in' || text === 'notin' ? text : 'id', text });
    }
  }
  tokens.push({ kind: 'end', text: '' });
  return tokens;
}

function isLabelKey(key: string): boolean {
  const slash = key.indexOf('/');
  const name = slash < 0 ? key : key.slice(slash + 1);
  if (slash >= 0) {
    const prefix = key.slice(0, slash);
    if (prefix.length === 0 || prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix)) return false;
  }
  return name.length <= 63 && QUALIFIED_NAME.test(name);
}

function isLabelValue(value: string): boolean {
  return value.length <= 63 && LABEL_VALUE.test(value);
}

class LabelParser {
  private at = 0;
  constructor(private readonly tokens: LabelToken[]) {}

  private peek(asValue = false): LabelToken {
    const t = this.tokens[this.at]!;
    return asValue && (t.kind === 'in' || t.kind === 'notin') ? { kind: 'id', text: t.text } : t;
  }

  private next(asValue = false): LabelToken {
    const t = this.peek(asValue);
    this.at++;
    return t;
  }

  parse(): boolean {
    if (this.peek().kind === 'end') return true;
    for (;;) {
      if (!this.requirement()) return false;
      const t = this.next();
      if (t.kind === 'end') return true;
      if (t.text !== ',') return false;
      const after = this.peek();
      if (after.kind !== 'id' && after.text !== '!') return false;
    }
  }

  private requirement(): boolean {
    let t = this.next();
    if (t.text === '!') {
      t = this.next();
      return t.kind === 'id' && isLabelKey(t.text) && (this.peek().kind === 'end' || this.peek().text === ',');
    }
    if (t.kind !== 'id' || !isLabelKey(t.text)) return false;
    const op = this.peek();
    if (op.kind === 'end' || op.text === ',') return true;
    this.at++;
    if (op.kind === 'in' || op.kind === 'notin') return this.valueSet();
    if (!['=', '==', '!=', '>', '<'].includes(op.text)) return false;
    const value = this.peek(true);
    const text = value.kind === 'id' ? value.text : '';
    if (value.kind === 'id') this.at++;
    else if (value.kind !== 'end' && value.text !== ',') return false;
    if (op.text === '>' || op.text === '<') return /^[+-]?\d+$/.test(text) && isLabelValue(text);
    return isLabelValue(text);
  }

  private valueSet(): boolean {
    if (this.next().text !== '(') return false;
    const values: string[] = [];
    for (;;) {
      const t = this.peek(true);
      if (t.kind === 'id') {
        values.push(t.text);
        this.at++;
        const sep = this.next();
        if (sep.text === ')') break;
        if (sep.text !== ',') return false;
      } else if (t.text === ',') {
        values.push('');
        this.at++;
      } else if (t.text === ')') {
        this.at++;
        if (values.length > 0) values.push('');
        break;
      } else return false;
    }
    return values.length > 0 && values.every(isLabelValue);
  }
}

/** Whether labels.Parse accepts the selector (ListOptions decoding fails otherwise). */
export function isValidLabelSelector(selector: string): boolean {
  const tokens = lexLabels(selector);
  return tokens !== undefined && new LabelParser(tokens).parse();
}
