import { Flags } from '@oclif/core';
import { KgateCommand } from '../../cli/base-command.js';
import { resolvePaths } from '../../cli/paths.js';
import { tryParseDuration } from '../../policy/duration.js';
import { usageError } from '../../cli/errors.js';
import { runDaemon } from '../../broker/daemon/daemon.js';

export default class BrokerRun extends KgateCommand<void> {
  static override summary = 'Run the broker daemon in the foreground (kgate broker start runs it in the background).';
  static override hidden = true;
  static override enableJsonFlag = false;
  static override flags = {
    'idle-timeout': Flags.string({ summary: 'Stop after this long without requests (env KGATE_BROKER_IDLE).', default: process.env.KGATE_BROKER_IDLE ?? '30m' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(BrokerRun);
    const idleMs = tryParseDuration(flags['idle-timeout']);
    if (idleMs === undefined || idleMs <= 0) throw usageError(`--idle-timeout ${flags['idle-timeout']} is not a duration`);
    const log = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);
    await runDaemon({ stateDir: resolvePaths().state, env: process.env, idleMs, log });
  }
}
