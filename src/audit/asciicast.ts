/**
 * Exec session recordings in asciicast v2 (https://docs.asciinema.org/manual/asciicast/v2/), the
 * format `asciinema play` and the web player replay: a JSON header line, then one JSON array per
 * event, `[t, code, data]`, t in seconds since the start. The writer is pure and streaming: it
 * hands each finished line to `write` and keeps nothing but a few counters.
 *
 * Terminal output is bytes, the format holds text: each stream (stdout, stderr, stdin) is decoded
 * as UTF-8 on its own, so a character split across two chunks is joined, and bytes that are not
 * UTF-8 (binary output) become U+FFFD, as a terminal would show them. A recording past `maxBytes`
 * ends with a visible notice and a marker (`"m"`) event; later events are counted but not kept.
 */
import { isAscii } from 'node:buffer';
import { TextDecoder } from 'node:util';

export interface AsciicastHeader {
  version: 2;
  width: number;
  height: number;
  /** Unix time of the start, in seconds. */
  timestamp?: number;
  command?: string;
  title?: string;
  env?: Record<string, string>;
}

/** `"o"` output, `"i"` input, `"r"` resize (`"WxH"`), `"m"` marker. */
export type AsciicastCode = 'o' | 'i' | 'r' | 'm';
export type AsciicastEvent = [time: number, code: AsciicastCode, data: string];

export interface AsciicastWriterOptions {
  width: number;
  height: number;
  command: string;
  title?: string;
  env?: Record<string, string>;
  /** Monotonic clock in ms; default `performance.now`. Times are relative to its first reading. */
  clock?: () => number;
  /** Wall clock of the start in epoch ms, for the header; default `Date.now()`. */
  startedAt?: number;
  /** Record stdin (`"i"` events); only when policy says so. Default false. */
  recordInput?: boolean;
  /** Largest recording in bytes, header included; default unlimited. */
  maxBytes?: number;
  /** Receives each line, newline included, in order. */
  write: (line: string) => void;
}

export interface AsciicastWriter {
  /** Records output of the session's stdout (default) or stderr. */
  output(data: Uint8Array | string, stream?: 'stdout' | 'stderr'): void;
  /** Records stdin when input recording is on; otherwise does nothing. */
  input(data: Uint8Array | string): void;
  resize(width: number, height: number): void;
  /** Flushes characters left incomplete at the end of each stream; later calls do nothing. */
  close(): void;
  /** Bytes written so far. */
  readonly bytes: number;
  /** True once the size cap cut the recording short. */
  readonly truncated: boolean;
}

/** Marker label of a recording cut short by its size cap. */
export const TRUNCATED_MARKER = 'kgate: recording truncated';
// Room kept under the cap for the closing notice and marker.
const TRUNCATION_RESERVE = 160;

/** Starts a recording: writes the header line at once. */
export function createAsciicastWriter(opts: AsciicastWriterOptions): AsciicastWriter {
  const clock = opts.clock ?? (() => performance.now());
  const origin = clock();
  const maxBytes = opts.maxBytes ?? Infinity;
  const decoders = { stdout: stream(), stderr: stream(), stdin: stream() };
  let bytes = 0;
  let truncated = false;
  let closed = false;
  let lastTime = 0;

  const emit = (line: string, size = Buffer.byteLength(line)) => {
    bytes += size;
    opts.write(line);
  };
  const elapsed = () => {
    // Monotonic even if the injected clock is not.
    lastTime = Math.max(lastTime, Math.round((clock() - origin) * 1000) / 1e6);
    return lastTime;
  };
  /** `ascii`: `data` is known to be ASCII, so is its JSON line, and its size is its length. */
  const event = (code: AsciicastCode, data: string, ascii = false) => {
    if (truncated || closed || data === '') return;
    const time = elapsed();
    const line = `${JSON.stringify([time, code, data])}\n`;
    const size = ascii ? line.length : Buffer.byteLength(line);
    if (bytes + size + TRUNCATION_RESERVE > maxBytes) {
      truncated = true;
      emit(`${JSON.stringify([time, 'o', `\r\n[${TRUNCATED_MARKER} at ${bytes} bytes]\r\n`])}\n`);
      emit(`${JSON.stringify([time, 'm', TRUNCATED_MARKER])}\n`);
      return;
    }
    emit(line, size);
  };
  const record = (code: AsciicastCode, decoder: StreamDecoder, data: Uint8Array | string) => {
    if (typeof data === 'string') event(code, data);
    else if (decoder.clean && isAscii(data)) event(code, Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('latin1'), true);
    else {
      // A chunk that ends in an ASCII byte leaves no partial character behind in the decoder.
      if (data.length > 0) decoder.clean = data[data.length - 1]! < 0x80;
      event(code, decoder.utf8.decode(data, { stream: true }));
    }
  };

  emit(`${JSON.stringify(header(opts))}\n`);
  return {
    output(data, stream = 'stdout') {
      record('o', decoders[stream], data);
    },
    input(data) {
      if (opts.recordInput) record('i', decoders.stdin, data);
    },
    resize(width, height) {
      event('r', `${dimension(width)}x${dimension(height)}`);
    },
    close() {
      event('o', decoders.stdout.utf8.decode());
      event('o', decoders.stderr.utf8.decode());
      if (opts.recordInput) event('i', decoders.stdin.utf8.decode());
      closed = true;
    },
    get bytes() {
      return bytes;
    },
    get truncated() {
      return truncated;
    },
  };
}

/**
 * One stream's UTF-8 decoder. Most terminal output is ASCII: while no partial character is held
 * (`clean`), an ASCII chunk is its own text, taken without decoding and without measuring its
 * line's UTF-8 size, which for 64 KiB chunks cost more than the JSON encoding.
 */
interface StreamDecoder {
  utf8: TextDecoder;
  clean: boolean;
}

function stream(): StreamDecoder {
  return { utf8: new TextDecoder('utf-8'), clean: true };
}

/** A recording that is not valid asciicast v2. */
export class AsciicastError extends Error {
  constructor(message: string, readonly line: number) {
    super(`asciicast line ${line}: ${message}`);
    this.name = 'AsciicastError';
  }
}

/** Parses an asciicast v2 recording for replay and checks. @throws AsciicastError */
export function parseAsciicast(text: string): { header: AsciicastHeader; events: AsciicastEvent[] } {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const head = parseLine(lines[0] ?? '', 1) as Partial<AsciicastHeader> | null;
  if (!head || typeof head !== 'object' || Array.isArray(head)) throw new AsciicastError('the header must be a JSON object', 1);
  if (head.version !== 2) throw new AsciicastError(`unsupported version ${JSON.stringify(head.version)}`, 1);
  if (!isDimension(head.width) || !isDimension(head.height)) throw new AsciicastError('width and height must be positive whole numbers', 1);
  const events: AsciicastEvent[] = [];
  let last = 0;
  lines.slice(1).forEach((raw, i) => {
    const n = i + 2;
    if (raw.trim() === '') return;
    const value = parseLine(raw, n);
    if (!Array.isArray(value) || value.length !== 3) throw new AsciicastError('an event must be [time, code, data]', n);
    const [time, code, data] = value as unknown[];
    if (typeof time !== 'number' || !Number.isFinite(time) || time < last) throw new AsciicastError('time must be a number of seconds, not decreasing', n);
    if (typeof code !== 'string' || !['o', 'i', 'r', 'm'].includes(code)) throw new AsciicastError(`unknown event code ${JSON.stringify(code)}`, n);
    if (typeof data !== 'string') throw new AsciicastError('data must be a string', n);
    if (code === 'r' && !/^\d+x\d+$/.test(data)) throw new AsciicastError('a resize must be "WxH"', n);
    last = time;
    events.push([time, code as AsciicastCode, data]);
  });
  return { header: head as AsciicastHeader, events };
}

function header(opts: AsciicastWriterOptions): AsciicastHeader {
  return {
    version: 2,
    width: dimension(opts.width),
    height: dimension(opts.height),
    timestamp: Math.floor((opts.startedAt ?? Date.now()) / 1000),
    command: opts.command,
    ...(opts.title ? { title: opts.title } : {}),
    ...(opts.env ? { env: opts.env } : {}),
  };
}

// Terminal sizes are whole cells, at least one (a player cannot draw a 0x0 terminal).
function dimension(value: number): number {
  return Number.isFinite(value) ? Math.max(1, Math.min(65535, Math.floor(value))) : 1;
}

function isDimension(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}

function parseLine(raw: string, line: number): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    throw new AsciicastError('not JSON', line);
  }
}
