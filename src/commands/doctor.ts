import { Flags } from '@oclif/core';
import { KgateCommand } from '../cli/base-command.js';
import { ExitCode, KgateError, type ErrorBody } from '../cli/errors.js';
import { resolvePaths } from '../cli/paths.js';
import { runDoctor, systemDoctorDeps, type CheckResult } from '../diagnostics/doctor.js';

const MARK = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' } as const;

/** A doctor run with failed checks: exits 1, and `--json` carries every check with the error. */
class ChecksFailed extends KgateError {
  constructor(readonly checks: CheckResult[]) {
    const failed = checks.filter((c) => c.status === 'fail').map((c) => c.name);
    super(`${failed.length} check${failed.length === 1 ? '' : 's'} failed: ${failed.join(', ')}`, {
      code: 'KGATE_DOCTOR_FAILED', exit: ExitCode.Error, suggestions: ['Each failed check above says how to fix it.'],
    });
  }
}

export default class Doctor extends KgateCommand<CheckResult[]> {
  static override summary = 'Check that this machine can run kgate.';
  static override description = 'Each line is ok, warn or fail, with a fix. The policy service is reached as every other command reaches it (--server, KGATE_SERVER or config.yaml; its CA from KGATE_SERVER_CA_FILE or KGATE_CA_FILE). Exits 1 when any check fails; with --json the status is then "error" and error.checks holds every check.';
  static override examples = ['<%= config.bin %> doctor', '<%= config.bin %> doctor --json'];
  static override flags = {
    server: Flags.string({ summary: 'Policy service URL (env KGATE_SERVER, or server: in config.yaml).' }),
    'ca-file': Flags.string({ summary: 'Extra CA (PEM) to trust (env KGATE_SERVER_CA_FILE, else KGATE_CA_FILE).' }),
  };

  async run(): Promise<CheckResult[]> {
    const { flags } = await this.parse(Doctor);
    const results = await runDoctor(systemDoctorDeps(resolvePaths(), flags));
    const width = Math.max(...results.map((r) => r.name.length));
    for (const r of results) {
      this.say(`${MARK[r.status]}  ${r.name.padEnd(width)}  ${r.detail}`);
      if (r.fix && r.status !== 'ok') this.say(`${' '.repeat(width + 8)}fix: ${r.fix}`);
    }
    if (results.some((r) => r.status === 'fail')) throw new ChecksFailed(results);
    return results;
  }

  protected override toErrorJson(error: unknown): { status: 'error'; error: ErrorBody & { checks?: CheckResult[] } } {
    const body = this.errorBody(error);
    return { status: 'error', error: error instanceof ChecksFailed ? { ...body, checks: error.checks } : body };
  }
}
