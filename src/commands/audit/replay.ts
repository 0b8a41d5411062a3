import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { Args, Flags } from '@oclif/core';
import { AsciicastError, parseAsciicast, type AsciicastEvent, type AsciicastHeader } from '../../audit/asciicast.js';
import { replay } from '../../audit/replay.js';
import { KgateCommand } from '../../cli/base-command.js';
import { KgateError, usageError } from '../../cli/errors.js';
import { openPolicyClient, serverFlags, type ServerFlagValues } from '../../policy/client-context.js';

/** What `--json` returns instead of playing: the recording, parsed. */
export interface RecordingView {
  /** `Recording ID` or the file's path. */
  source: string;
  header: AsciicastHeader;
  events: AsciicastEvent[];
}

// Recordings may hide the cursor or leave colours on; an interrupted replay gives the terminal back.
const RESET_TERMINAL = '\x1b[0m\x1b[?25h\r\n';

export default class AuditReplay extends KgateCommand<RecordingView> {
  static override summary = 'Play an exec session recording in the terminal.';
  static override description = 'ID is the recording id of an exec session (its audit ID, in the kgate.dev/recording-id annotation). Output plays at the recorded pace times --speed, with pauses capped at --max-idle seconds. Ctrl-C stops it. With --json, prints the parsed recording instead of playing it.';
  static override examples = [
    '<%= config.bin %> audit replay 5b0c… --speed 4',
    '<%= config.bin %> audit replay --file session.cast --max-idle 0.5',
  ];
  static override args = { id: Args.string({ description: 'Recording id on the policy service.' }) };
  static override flags = {
    speed: Flags.string({ summary: 'Playback speed factor (2 = twice as fast).', default: '1' }),
    'max-idle': Flags.string({ summary: 'Longest pause in seconds; 0 plays without pauses.', default: '2' }),
    file: Flags.string({ summary: 'Play a local asciicast v2 file instead.' }),
    ...serverFlags,
  };

  async run(): Promise<RecordingView> {
    const { args, flags } = await this.parse(AuditReplay);
    if (Boolean(args.id) === Boolean(flags.file)) throw usageError('Give either a recording ID or --file, not both or neither');
    const speed = positive('--speed', flags.speed, false);
    const maxIdle = positive('--max-idle', flags['max-idle'], true);
    const source = flags.file ?? `Recording ${args.id!}`;
    const recording = parse(source, flags.file ? await readLocal(flags.file) : await this.download(args.id!, flags));
    if (this.jsonEnabled()) return { source, ...recording };

    const stop = new AbortController();
    const interrupt = () => stop.abort();
    process.once('SIGINT', interrupt);
    try {
      const played = await replay(recording.events, { speed, maxIdle, signal: stop.signal, sleep: (ms, signal) => sleep(ms, undefined, { signal }), write: (data) => process.stdout.write(data) });
      if (played.interrupted) {
        if (process.stdout.isTTY) process.stdout.write(RESET_TERMINAL);
        process.stderr.write('Replay stopped.\n');
      }
    } finally {
      process.off('SIGINT', interrupt);
    }
    return { source, ...recording };
  }

  private async download(id: string, flags: ServerFlagValues): Promise<Buffer> {
    const client = await openPolicyClient(flags);
    try {
      return await client.getRecording(id);
    } finally {
      await client.close();
    }
  }
}

function positive(flag: string, value: string, zeroAllowed: boolean): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || (n === 0 && !zeroAllowed)) {
    throw usageError(`${flag} must be a ${zeroAllowed ? 'non-negative' : 'positive'} number, not "${value}"`);
  }
  return n;
}

async function readLocal(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    throw usageError(`Cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

function parse(source: string, data: Buffer): Omit<RecordingView, 'source'> {
  try {
    return parseAsciicast(data.toString('utf8'));
  } catch (error) {
    if (!(error instanceof AsciicastError)) throw error;
    throw new KgateError(`${source} is not a valid asciicast v2 recording (${error.message})`, {
      code: 'KGATE_RECORDING_CORRUPT',
      suggestions: ['The recording is damaged or not an exec recording; nothing was played.'],
    });
  }
}
