/**
 * Audit events from a file, for `kgate audit verify --file`: an export from a SIEM or a log
 * shipper is JSON lines (one Event a line, as kube-apiserver's log backend writes them), while
 * `kgate audit search --json` saves an envelope holding `items`. Both, a bare JSON array and a
 * single Event are accepted; anything else is refused with the line that is wrong.
 */
import { ExitCode, KgateError } from '../cli/errors.js';
import type { AuditEvent } from './event.js';

/** A file that does not hold audit events. */
export class AuditFileError extends KgateError {
  constructor(file: string, detail: string) {
    super(`${file}: ${detail}`, {
      code: 'KGATE_AUDIT_FILE_INVALID',
      exit: ExitCode.Usage,
      suggestions: ['Give JSON lines (one audit Event per line), a JSON array of Events, or the output of kgate audit search --json.'],
    });
  }
}

/** Parses the text of `file` (named in errors only). @throws AuditFileError */
export function parseAuditEvents(text: string, file: string): AuditEvent[] {
  const whole = tryJson(text);
  if (whole.ok) return eventsOf(itemsOf(whole.value) ?? [whole.value], file, (i) => `item ${i + 1}`);
  const values: unknown[] = [];
  const lines: number[] = [];
  text.split('\n').forEach((raw, i) => {
    if (raw.trim() === '') return;
    const line = tryJson(raw);
    if (!line.ok) throw new AuditFileError(file, `line ${i + 1} is not JSON`);
    values.push(line.value);
    lines.push(i + 1);
  });
  return eventsOf(values, file, (i) => `line ${lines[i]}`);
}

function tryJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

/** The events inside an array, a search page (`{items}`) or a `--json` envelope (`{result: {items}}`). */
function itemsOf(value: unknown): unknown[] | undefined {
  if (Array.isArray(value)) return value;
  const object = value as { items?: unknown; result?: { items?: unknown } } | null;
  const items = object?.items ?? object?.result?.items;
  return Array.isArray(items) ? items : undefined;
}

function eventsOf(values: unknown[], file: string, where: (index: number) => string): AuditEvent[] {
  values.forEach((value, i) => {
    const event = value as Partial<AuditEvent> | null;
    if (!event || typeof event !== 'object' || Array.isArray(event) || typeof event.auditID !== 'string') {
      throw new AuditFileError(file, `${where(i)} is not an audit Event (no auditID)`);
    }
  });
  return values as AuditEvent[];
}
