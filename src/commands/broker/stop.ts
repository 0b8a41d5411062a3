import { KgateCommand } from '../../cli/base-command.js';
import { resolvePaths } from '../../cli/paths.js';
import { controlRequest } from '../../broker/daemon/control-client.js';
import { daemonAnswers } from '../../broker/daemon/ensure-daemon.js';
import { brokerLayout } from '../../broker/daemon/layout.js';

export default class BrokerStop extends KgateCommand<{ stopped: boolean }> {
  static override summary = 'Stop the broker daemon: it releases the grants it requested and ships its audit trail first.';

  async run(): Promise<{ stopped: boolean }> {
    const stateDir = resolvePaths().state;
    const answer = await controlRequest(brokerLayout(stateDir).socket, { op: 'stop' }, 5000);
    if (!answer) {
      this.say('No broker is running.');
      return { stopped: false };
    }
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && (await daemonAnswers(stateDir))) await new Promise((r) => setTimeout(r, 200));
    this.say('Broker stopped.');
    return { stopped: true };
  }
}
