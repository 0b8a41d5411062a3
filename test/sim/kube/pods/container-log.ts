/**
 * One container instance's log, kept the way the container runtime keeps it: a sequence of
 * timestamped records per output line (a trailing piece without newline is a partial record,
 * like CRI's `P` entries), bounded in size by dropping the oldest records.
 */

export type LogStream = 'stdout' | 'stderr';

export interface LogRecord {
  /** Nanoseconds since the epoch. */
  timeNs: bigint;
  stream: LogStream;
  data: Buffer;
}

/** kubelet rotates at 10 MiB by default; a sim needs far less. */
const DEFAULT_MAX_BYTES = 4 * 1024 * 1024;

const epochOffsetNs = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();

/** Wall-clock time in nanoseconds, monotonic within this process. */
export function nowNs(): bigint {
  return epochOffsetNs + process.hrtime.bigint();
}

/** Formats like the kubelet's `timeFormatOut` (RFC 3339 with exactly nine fractional digits). */
export function formatLogTimestamp(timeNs: bigint): string {
  const ms = Number(timeNs / 1_000_000n);
  const seconds = new Date(ms).toISOString().slice(0, 19);
  const fraction = (timeNs % 1_000_000_000n).toString().padStart(9, '0');
  return `${seconds}.${fraction}Z`;
}

type Follower = { onRecord: (record: LogRecord) => void; onEnd: () => void };

/** The log of one run of a container's main process. */
export class ContainerLog {
  private readonly entries: LogRecord[] = [];
  private bytes = 0;
  private readonly followers = new Set<Follower>();
  private finished = false;

  constructor(private readonly maxBytes = DEFAULT_MAX_BYTES) {}

  /** Appends process output, split into one record per line. */
  append(stream: LogStream, chunk: Buffer, timeNs: bigint = nowNs()): void {
    if (this.finished) return;
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(0x0a, start);
      const end = newline === -1 ? chunk.length : newline + 1;
      this.push({ timeNs, stream, data: Buffer.from(chunk.subarray(start, end)) });
      start = end;
    }
  }

  /** Marks the end of the instance: followers are told, later output is ignored. */
  end(): void {
    if (this.finished) return;
    this.finished = true;
    for (const follower of this.followers) follower.onEnd();
    this.followers.clear();
  }

  get ended(): boolean {
    return this.finished;
  }

  /** A snapshot of the retained records, oldest first. */
  records(): readonly LogRecord[] {
    return [...this.entries];
  }

  /** Calls back for every record appended from now on and once at the end; returns an unsubscribe. */
  follow(onRecord: (record: LogRecord) => void, onEnd: () => void): () => void {
    if (this.finished) {
      onEnd();
      return () => undefined;
    }
    const follower = { onRecord, onEnd };
    this.followers.add(follower);
    return () => this.followers.delete(follower);
  }

  private push(record: LogRecord): void {
    this.entries.push(record);
    this.bytes += record.data.length;
    while (this.bytes > this.maxBytes && this.entries.length > 1) this.bytes -= this.entries.shift()!.data.length;
    for (const follower of this.followers) follower.onRecord(record);
  }
}
