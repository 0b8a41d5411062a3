import { KgateCommand, ExitCode } from '../cli/base-command.js';
import { resolvePaths } from '../cli/paths.js';
import { runDoctor, systemDoctorDeps, type CheckResult } from '../diagnostics/doctor.js';

const MARK = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' } as const;

export default class Doctor extends KgateCommand<CheckResult[]> {
  static override summary = 'Check that this machine can run kgate.';
  static override description = 'Each line is ok, warn or fail, with a fix. Exits 1 when any check fails.';
  static override examples = ['<%= config.bin %> doctor', '<%= config.bin %> doctor --json'];

  async run(): Promise<CheckResult[]> {
    await this.parse(Doctor);
    const results = await runDoctor(systemDoctorDeps(resolvePaths()));
    const width = Math.max(...results.map((r) => r.name.length));
    for (const r of results) {
      this.say(`${MARK[r.status]}  ${r.name.padEnd(width)}  ${r.detail}`);
      if (r.fix && r.status !== 'ok') this.say(`${' '.repeat(width + 8)}fix: ${r.fix}`);
    }
    if (results.some((r) => r.status === 'fail')) process.exitCode = ExitCode.Error;
    return results;
  }
}
