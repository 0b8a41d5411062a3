/**
 * The values an apiserver error quotes. A field error reads `<field>: Invalid value: "<value>":
 * <detail>` with the value Go-quoted (`%q`), and when a JSON or merge patch leaves an object the
 * apiserver cannot decode (an unknown field under `fieldValidation=Strict`, a number where a
 * string belongs) the value is the whole patched object as JSON, Secret data and all
 * (apiserver handlers/patch.go: `field.Invalid(field.NewPath("patch"), string(patchedObjJS), …)`).
 * This finds each such value so the masker can mask it as the object it is. Pure.
 */

const INVALID_VALUE = 'Invalid value: ';
const SIMPLE_ESCAPES: Readonly<Record<string, string>> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"', "'": "'" };

/** A Go-quoted string read from `text` at `start` (the opening quote): its value and the index after the closing quote. */
export interface GoQuoted {
  value: string;
  end: number;
}

function hexAt(text: string, at: number, digits: number): number | undefined {
  const hex = text.slice(at, at + digits);
  return hex.length === digits && /^[0-9a-fA-F]+$/.test(hex) ? parseInt(hex, 16) : undefined;
}

/** Reads a string `strconv.Quote` wrote, starting at the `"` at `start`; undefined when it does not close or has a bad escape. */
export function readGoQuoted(text: string, start: number): GoQuoted | undefined {
  if (text[start] !== '"') return undefined;
  const parts: string[] = [];
  let run = start + 1;
  let i = start + 1;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === '"') {
      parts.push(text.slice(run, i));
      return { value: parts.join(''), end: i + 1 };
    }
    if (ch !== '\\') {
      i++;
      continue;
    }
    parts.push(text.slice(run, i));
    const kind = text[i + 1];
    if (kind === undefined) return undefined;
    const simple = SIMPLE_ESCAPES[kind];
    let width = 2;
    if (simple !== undefined) parts.push(simple);
    else {
      const digits = kind === 'x' ? 2 : kind === 'u' ? 4 : kind === 'U' ? 8 : 0;
      const code = digits === 0 ? undefined : hexAt(text, i + 2, digits);
      if (code === undefined || code > 0x10ffff) return undefined;
      parts.push(String.fromCodePoint(code));
      width = 2 + digits;
    }
    i += width;
    run = i;
  }
  return undefined;
}

/** One invalid value in a message: where it is and what it holds (undefined when kgate cannot read it). */
export interface QuotedValue {
  /** Index where the value starts (its opening quote, when quoted). */
  start: number;
  /** Index after the value; the end of the message when it cannot be read to its end. */
  end: number;
  /** The unquoted value; undefined when it cannot be read (an unclosed quote, a Go map or struct printed with `%#v`). */
  value: string | undefined;
}

/** A bare scalar the apiserver prints without quotes (`%v` of numbers and booleans, `null`). */
const BARE_SCALAR = /^(?:-?[0-9][0-9.eE+-]*|true|false|null)(?=$|[:,\]\s])/;

/**
 * Every `Invalid value: …` in an apiserver error message, in order. A value that is neither a
 * Go-quoted string nor a bare scalar (older apiservers print the patched object as a Go map,
 * `map[string]interface {}{…}`) runs to the end of the message, since nothing says where it ends.
 */
export function invalidValues(message: string): QuotedValue[] {
  const found: QuotedValue[] = [];
  let from = 0;
  for (;;) {
    const at = message.indexOf(INVALID_VALUE, from);
    if (at < 0) return found;
    const start = at + INVALID_VALUE.length;
    if (message[start] === '"') {
      const quoted = readGoQuoted(message, start);
      if (!quoted) return [...found, { start, end: message.length, value: undefined }];
      found.push({ start, end: quoted.end, value: quoted.value });
      from = quoted.end;
      continue;
    }
    const bare = BARE_SCALAR.exec(message.slice(start, start + 64));
    if (!bare) return [...found, { start, end: message.length, value: undefined }];
    from = start + bare[0].length;
  }
}
