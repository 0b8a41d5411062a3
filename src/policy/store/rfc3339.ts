/**
 * RFC 3339 timestamps as audit events carry them (Kubernetes MicroTime: microsecond fractions,
 * any offset), turned into integer microseconds so that events order correctly whatever their
 * offset or fraction length. `Date.parse` is not enough: it drops microseconds and rolls
 * 2024-02-30 over into March.
 */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/** Microseconds since the epoch, or undefined when `text` is not a valid RFC 3339 time. */
export function rfc3339ToMicros(text: string): number | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  const date = new Date(ms);
  const fieldsExist =
    date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day &&
    hour < 24 && minute < 60 && second < 60;
  if (!fieldsExist) return undefined;
  const offsetMinutes = m[8] ? 0 : offset(m[9]!, Number(m[10]), Number(m[11]));
  if (offsetMinutes === undefined) return undefined;
  const micros = Number((m[7] ?? '').padEnd(6, '0').slice(0, 6));
  return (ms - offsetMinutes * 60_000) * 1000 + micros;
}

function offset(sign: string, hours: number, minutes: number): number | undefined {
  if (hours > 23 || minutes > 59) return undefined;
  return (sign === '-' ? -1 : 1) * (hours * 60 + minutes);
}
