import { KgateCommand } from '../../cli/base-command.js';
import { resolvePaths } from '../../cli/paths.js';
import { brokerStatus } from '../../broker/daemon/status.js';
import type { BrokerStatus } from '../../broker/daemon/protocol.js';
import { describeBroker } from '../../broker/daemon/render.js';

export default class BrokerStatusCommand extends KgateCommand<BrokerStatus | { running: false }> {
  static override summary = 'Show whether the broker daemon runs, where, and its sessions and audit spool.';

  async run(): Promise<BrokerStatus | { running: false }> {
    const status = await brokerStatus(resolvePaths().state);
    for (const line of describeBroker(status)) this.say(line);
    return status ?? { running: false };
  }
}
