import { Command } from '@oclif/core';
import { ExitCode, errorLines, toErrorBody, type ErrorBody } from './errors.js';

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
    return { status: 'error', error: this.errorBody(error) };
  }

  protected override async catch(error: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<unknown> {
    // oclif signals --help/--version and this.exit() with exceptions of its own: let them through.
    if (error.oclif?.exit === 0 || error.constructor.name === 'ExitError') throw error;
    const body = this.errorBody(error);
    if (this.jsonEnabled()) {
      this.logJson(this.toErrorJson(error));
    } else {
      process.stderr.write(errorLines(body).map((line) => `${line}\n`).join(''));
    }
    process.exitCode = body.exitCode;
    return undefined;
  }

  /** The error as the user sees it; a usage error points at this command's own help. */
  protected errorBody(error: unknown): ErrorBody {
    const command = [this.config.bin, ...(this.id ? this.id.split(':') : [])].join(' ');
    return toErrorBody(error, `See ${command} --help for usage.`);
  }

  /** Human output goes to stdout only when --json is off. */
  protected say(line = ''): void {
    if (!this.jsonEnabled()) this.log(line);
  }
}

export { ExitCode };
