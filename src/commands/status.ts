import { KgateCommand } from '../cli/base-command.js';
import { toErrorBody } from '../cli/errors.js';
import { resolvePaths } from '../cli/paths.js';
import { serverFlags, openPolicyClient } from '../policy/client-context.js';
import type { GrantView } from '../policy/client.js';
import { formatRemaining } from '../policy/render.js';
import { openIdentity } from '../identity/context.js';
import { describeIdentity, type Identity } from '../identity/identity.js';
import { brokerStatus } from '../broker/daemon/status.js';
import type { BrokerStatus } from '../broker/daemon/protocol.js';
import { describeBroker } from '../broker/daemon/render.js';

interface StatusResult {
  login: Identity | { error: string };
  broker: BrokerStatus | { running: false };
  grants: GrantView[] | { error: string };
}

export default class Status extends KgateCommand<StatusResult> {
  static override summary = 'Where you stand: login, the broker daemon, and your grants with the time they have left.';
  static override description = 'Each part is reported on its own: a missing login or an unreachable policy service is shown, not fatal. Exit 0 unless nothing could be checked.';
  static override flags = { ...serverFlags };

  async run(): Promise<StatusResult> {
    const { flags } = await this.parse(Status);
    const login = await openIdentity(flags).then(({ session }) => session.getToken()).then(({ principal }) => principal as Identity, (error: unknown) => ({ error: toErrorBody(error).message }));
    this.say('error' in login ? `Login: none (${login.error})` : `Login: ${describeIdentity(login)}${login.expiresAt ? `, token until ${login.expiresAt}` : ''}`);

    const broker = await brokerStatus(resolvePaths().state);
    for (const line of describeBroker(broker)) this.say(line);

    let grants: StatusResult['grants'];
    if ('error' in login) grants = { error: 'not logged in' };
    else {
      try {
        const client = await openPolicyClient(flags);
        try {
          grants = (await client.listGrants({ mine: true })).filter((g) => g.state === 'active' || g.state === 'pending');
        } finally {
          await client.close();
        }
      } catch (error) {
        grants = { error: toErrorBody(error).message };
      }
    }
    if ('error' in grants) this.say(`Grants: unknown (${grants.error})`);
    else if (grants.length === 0) this.say('Grants: none active or pending');
    else for (const g of grants) this.say(`Grant ${g.id}: ${g.template} on ${g.cluster} [${g.namespaces.join(', ')}], ${g.state}${g.expiresAt ? `, ${formatRemaining(g.expiresAt - Date.now())} left` : ''}`);
    return { login, broker: broker ?? { running: false }, grants };
  }
}
