/**
 * What `kgate logn` answers: the command it does not know, the one it probably meant, and where
 * the list is, in the same shape as every other kgate error (and as a JSON envelope with --json).
 * Exits 2, a usage error. Unlike `@oclif/plugin-not-found` it never prompts and never runs a
 * command it guessed: a script gets the same line a person does.
 */
import type { Hook } from '@oclif/core';
import { closestCommand } from '../closest-command.js';
import { ExitCode, KgateError, errorLines, toErrorBody } from '../errors.js';

const hook: Hook.CommandNotFound = async function (options) {
  const bin = options.config.bin;
  const spaced = (id: string) => id.split(':').join(' ');
  const typed = spaced(options.id);
  const visible = options.config.commands.filter((c) => !c.hidden).flatMap((c) => [c.id, ...c.aliases]).map(spaced);
  const guess = closestCommand(typed, visible);
  const topic = options.config.findTopic(options.id.split(':')[0]!)?.name;
  const error = new KgateError(`"${typed}" is not a ${bin} command${guess ? `. Did you mean "${guess}"?` : ''}`, {
    code: 'KGATE_UNKNOWN_COMMAND',
    exit: ExitCode.Usage,
    suggestions: [`Run ${bin} help${topic && !guess ? ` ${spaced(topic)}` : ''} for the list of commands.`],
  });
  const body = toErrorBody(error);
  if ((options.argv ?? []).includes('--json')) process.stdout.write(`${JSON.stringify({ status: 'error', error: body }, null, 2)}\n`);
  else process.stderr.write(errorLines(body).map((line) => `${line}\n`).join(''));
  this.exit(body.exitCode);
};

export default hook;
