/**
 * PodExecOptions / PodAttachOptions from the query (api core/v1 types.go), checked the way the
 * kubelet's remotecommand `NewOptions` does.
 */
import { StatusError } from '../types.js';
import { queryBool } from './query.js';

export interface StreamOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
  container: string;
  /** Repeated `command` parameters (exec only). */
  command: string[];
}

/** Reads the options; 400 when no stream is requested; with a tty stderr is folded into stdout. */
export function parseStreamOptions(query: URLSearchParams): StreamOptions {
  const stdin = queryBool(query, 'stdin');
  const stdout = queryBool(query, 'stdout');
  const tty = queryBool(query, 'tty');
  const stderr = queryBool(query, 'stderr');
  if (!stdin && !stdout && !stderr) throw new StatusError(400, 'BadRequest', 'you must specify at least 1 of stdin, stdout, stderr');
  return { stdin, stdout, stderr: stderr && !tty, tty, container: query.get('container') ?? '', command: query.getAll('command') };
}
