/**
 * Turns log records into the bytes `GET pods/{name}/log` returns, like the kubelet's log reader
 * (kuberuntime/logs/logs.go): since-filter, tail by records, a timestamp prefix at line starts,
 * and a byte limit over the whole output.
 */
import { formatLogTimestamp, type LogRecord } from './container-log.js';
import type { PodLogOptions } from './log-options.js';

/** The already-logged records to send first, after sinceSeconds/sinceTime and tailLines. */
export function selectRecords(records: readonly LogRecord[], options: Pick<PodLogOptions, 'sinceNs' | 'tailLines'>): LogRecord[] {
  const since = options.sinceNs;
  const kept = since === undefined ? [...records] : records.filter((r) => r.timeNs >= since);
  if (options.tailLines === undefined) return kept;
  return options.tailLines === 0 ? [] : kept.slice(-options.tailLines);
}

/** Stateful renderer for one log response. */
export class LogWriter {
  private atLineStart = true;
  private remaining: number;

  constructor(
    private readonly options: Pick<PodLogOptions, 'timestamps' | 'limitBytes'>,
    private readonly write: (chunk: Buffer) => void,
  ) {
    this.remaining = options.limitBytes ?? Number.POSITIVE_INFINITY;
  }

  /** False once limitBytes is used up: the response must end. */
  get open(): boolean {
    return this.remaining > 0;
  }

  /** Writes one record; returns whether more may follow. */
  writeRecord(record: LogRecord): boolean {
    if (!this.open) return false;
    const prefix = this.options.timestamps && this.atLineStart ? Buffer.from(`${formatLogTimestamp(record.timeNs)} `) : undefined;
    this.atLineStart = record.data.at(-1) === 0x0a;
    let out = prefix ? Buffer.concat([prefix, record.data]) : record.data;
    if (out.length > this.remaining) out = out.subarray(0, this.remaining);
    this.remaining -= out.length;
    if (out.length > 0) this.write(out);
    return this.open;
  }
}
