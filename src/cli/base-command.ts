import { Command } from '@oclif/core';
import { ExitCode, toErrorBody, type ErrorBody } from './errors.js';

/** The `--json` envelope every command prints. */
export type JsonEnvelope<T> = { status: 'ok'; result: T } | { status: 'error'; error: ErrorBody };

/**
 * Base for every kgate command: `--json` (from `run()`'s return value), error
 * normalisation into typed errors with stable codes, and the exit-code table in errors.ts.
 */
export abstract class KgateCommand<T> extends Command {
  static override enableJsonFlag = true;

  protected override toSuccessJson(result: unknown): JsonEnvelope<T> {
    return { status: 'ok', result: result as T };
  }

  protected override toErrorJson(error: unknown): JsonEnvelope<T> {
    return { status: 'error', error: toErrorBody(error) };
  }

  protected override async catch(error: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<unknown> {
    // oclif signals --help/--version and this.exit() with exceptions of its own: let them through.
    if (error.oclif?.exit === 0 || error.constructor.name === 'ExitError') throw error;
    const body = toErrorBody(error);
    if (this.jsonEnabled()) {
      this.logJson(this.toErrorJson(error));
    } else {
      process.stderr.write(`Error: ${body.message}${body.code === 'KGATE_INTERNAL' ? '' : ` (${body.code})`}\n`);
      for (const suggestion of body.suggestions) process.stderr.write(`  → ${suggestion}\n`);
    }
    process.exitCode = body.exitCode;
    return undefined;
  }

  /** Human output goes to stdout only when --json is off. */
  protected say(line = ''): void {
    if (!this.jsonEnabled()) this.log(line);
  }
}

export { ExitCode };
