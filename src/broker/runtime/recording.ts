/**
 * Exec and attach recordings: each relayed session is written as asciicast v2 (masked output,
 * resizes, stdin only when policy asks) and stored on the policy service under the session's
 * audit ID, which the audit event names as its recording id. A recording the service cannot take
 * is kept in the state directory (0600) and the log says where, so nothing recorded is lost.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createAsciicastWriter } from '../../audit/asciicast.js';
import type { Detector } from '../../mask/detectors.js';
import { maskWords } from '../../mask/request-uri.js';
import type { ExecRecording } from '../pipeline/types.js';
import type { RequestInfo } from '../../kube/request-info.js';

export interface RecordingOptions {
  /** Where recordings are stored: the policy service's API (broker) or its store (gateway). */
  client: { putRecording(id: string, data: Uint8Array): Promise<void> };
  /** Prepended to the audit ID to make the recording id (the gateway's own namespace). */
  idPrefix?: string;
  /** Where recordings wait when the service cannot take them. */
  stateDir: string;
  /** Record stdin too (policy). */
  recordStdin: boolean;
  /** Run over the command named in the header (output is masked before it reaches the recorder). */
  detectors: readonly Detector[];
  /** Largest recording; default 64 MiB (then it is marked truncated). */
  maxBytes?: number;
  log: (line: string) => void;
}

const STDERR = 2;

/** The pipeline's `record` function. */
export function createRecordings(options: RecordingOptions): (session: { auditId: string; info: RequestInfo; command: string[] }) => ExecRecording {
  return ({ auditId, info, command }) => {
    const lines: string[] = [];
    const writer = createAsciicastWriter({
      width: 80,
      height: 24,
      command: command.length ? maskWords(command, options.detectors).join(' ') : `${info.subresource} ${info.namespace}/${info.name}`,
      title: `${info.subresource} ${info.namespace}/${info.name}`,
      recordInput: options.recordStdin,
      maxBytes: options.maxBytes ?? 64 * 1024 * 1024,
      write: (line) => lines.push(line),
    });
    return {
      recordStdin: options.recordStdin,
      recorder: {
        output: (data, channel) => writer.output(data, channel === STDERR ? 'stderr' : 'stdout'),
        input: (data) => writer.input(data),
        resize: (width, height) => writer.resize(width, height),
        exit: () => undefined,
      },
      async finish() {
        writer.close();
        const data = Buffer.from(lines.join(''), 'utf8');
        const id = `${options.idPrefix ?? ''}${auditId}`;
        try {
          await options.client.putRecording(id, data);
          return id;
        } catch (error) {
          const dir = join(options.stateDir, 'recordings');
          try {
            await mkdir(dir, { recursive: true, mode: 0o700 });
            const file = join(dir, `${id}.cast`);
            await writeFile(file, data, { mode: 0o600 });
            options.log(`recording ${id} could not be uploaded (${(error as Error).message}); kept in ${file}`);
            return id;
          } catch (saveError) {
            options.log(`recording ${id} was lost: upload failed (${(error as Error).message}) and so did saving it (${(saveError as Error).message})`);
            return undefined;
          }
        }
      },
    };
  };
}
