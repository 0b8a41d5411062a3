/** The daemon's status over the control socket, or undefined when none runs. */
import { controlRequest } from './control-client.js';
import { brokerLayout } from './layout.js';
import type { BrokerStatus, ControlResponse } from './protocol.js';

export async function brokerStatus(stateDir: string): Promise<BrokerStatus | undefined> {
  const answer = await controlRequest<ControlResponse>(brokerLayout(stateDir).socket, { op: 'status' }, 3000);
  return answer && answer.ok && 'pid' in answer ? answer : undefined;
}
