/**
 * Percent-encoding with Go's net/url strictness: every `%` must start a two-digit hex escape, and
 * the decoded bytes must be UTF-8 so that re-encoding reproduces them exactly.
 */

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const utf8 = new TextEncoder();
const HEX = /^[0-9A-Fa-f]{2}$/;

/**
 * Decodes `%XX` escapes (and `+` as space when `plusIsSpace`, as url.ParseQuery does). Returns
 * undefined for a malformed escape or for bytes that are not UTF-8.
 */
export function percentDecode(text: string, plusIsSpace = false): string | undefined {
  if (!text.includes('%') && !(plusIsSpace && text.includes('+'))) return text;
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x25) {
      const hex = text.slice(i + 1, i + 3);
      if (!HEX.test(hex)) return undefined;
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (code === 0x2b && plusIsSpace) bytes.push(0x20);
    else if (code < 0x80) bytes.push(code);
    else {
      const point = text.codePointAt(i)!;
      for (const b of utf8.encode(String.fromCodePoint(point))) bytes.push(b);
      if (point > 0xffff) i++;
    }
  }
  try {
    return strictUtf8.decode(new Uint8Array(bytes));
  } catch {
    return undefined;
  }
}

function encodeWith(text: string, keep: (code: number) => boolean): string {
  let out = '';
  let plain = 0;
  for (let i = 0; i < text.length; i++) {
    if (keep(text.charCodeAt(i))) continue;
    out += text.slice(plain, i);
    const point = text.codePointAt(i)!;
    for (const b of utf8.encode(String.fromCodePoint(point))) out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
    if (point > 0xffff) i++;
    plain = i + 1;
  }
  return plain === 0 ? text : out + text.slice(plain);
}

function isUnreserved(code: number): boolean {
  return (code >= 0x61 && code <= 0x7a) || (code >= 0x41 && code <= 0x5a) || (code >= 0x30 && code <= 0x39) || code === 0x2d || code === 0x2e || code === 0x5f || code === 0x7e;
}

// RFC 3986 pchar minus `;` (Go drops `;` pairs and some servers split path parameters on it).
const PATH_EXTRA = new Set([...'!$&\'()*+,=:@'].map((c) => c.charCodeAt(0)));
// Characters that never change meaning inside a Go query key or value.
const QUERY_EXTRA = new Set([...'!$\'()*,:@/?'].map((c) => c.charCodeAt(0)));

/** Encodes one decoded path segment, escaping only what a segment cannot hold literally. */
export function encodePathSegment(segment: string): string {
  return encodeWith(segment, (c) => isUnreserved(c) || PATH_EXTRA.has(c));
}

/** Encodes a decoded query key or value so url.ParseQuery gives it back unchanged (`=` is escaped too). */
export function encodeQueryComponent(text: string): string {
  return encodeWith(text, (c) => isUnreserved(c) || QUERY_EXTRA.has(c));
}
