import { KgateCommand } from '../../cli/base-command.js';
import { resolvePaths } from '../../cli/paths.js';
import { ensureDaemon } from '../../broker/daemon/ensure-daemon.js';
import { brokerLayout } from '../../broker/daemon/layout.js';

export default class BrokerStart extends KgateCommand<{ started: boolean; socket: string }> {
  static override summary = 'Start the per-user broker daemon if it is not running.';
  static override description = 'kubectl contexts written by `kgate kubeconfig add` start it on demand; it stops by itself after a while without requests (KGATE_BROKER_IDLE, default 30m).';

  async run(): Promise<{ started: boolean; socket: string }> {
    const stateDir = resolvePaths().state;
    const started = await ensureDaemon(stateDir, process.env);
    const socket = brokerLayout(stateDir).socket;
    this.say(started ? `Broker started (control socket ${socket})` : `Broker already running (control socket ${socket})`);
    return { started, socket };
  }
}
