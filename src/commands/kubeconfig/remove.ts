import { Flags } from '@oclif/core';
import { KgateCommand } from '../../cli/base-command.js';
import { resolvePaths } from '../../cli/paths.js';
import { kubeconfigPath, removeKubeconfigEntry } from '../../broker/daemon/kubeconfig-entry-file.js';

/** What `kgate kubeconfig remove` took out. */
export interface KubeconfigRemoveResult {
  kubeconfig: string;
  context: string;
  user?: string;
  cluster?: string;
  wasCurrent: boolean;
}

export default class KubeconfigRemove extends KgateCommand<KubeconfigRemoveResult> {
  static override summary = 'Remove a context kgate kubeconfig add wrote, with its user and cluster unless another context uses them.';
  static override description = 'Only entries kgate wrote are removed. An unknown context exits 1 and leaves the file unchanged.';
  static override examples = ['<%= config.bin %> kubeconfig remove --context kgate-prod'];

  static override flags = {
    context: Flags.string({ summary: 'Context to remove.', required: true }),
    kubeconfig: Flags.string({ summary: 'Kubeconfig file (default: the first KUBECONFIG path, else ~/.kube/config).' }),
  };

  async run(): Promise<KubeconfigRemoveResult> {
    const { flags } = await this.parse(KubeconfigRemove);
    const file = kubeconfigPath(flags.kubeconfig);
    const removal = await removeKubeconfigEntry(resolvePaths().state, file, flags.context);
    const also = [removal.user && `user ${removal.user}`, removal.cluster && `cluster ${removal.cluster}`].filter(Boolean);
    this.say(`Removed context ${removal.context}${also.length ? ` with ${also.join(' and ')}` : ''} from ${file}.`);
    if (removal.wasCurrent) this.say('It was the current context; current-context is now empty (kubectl config use-context NAME picks another).');
    return { kubeconfig: file, ...removal };
  }
}
