/**
 * `spec.clusters[]`: where grants apply. EKS clusters are reached through STS/EKS with the service's
 * ambient AWS credentials; generic Kubernetes clusters through a kubeconfig.
 */
import type { ClusterConfig } from '../types.js';
import { DNS_LABEL, readUrl } from './fields.js';
import type { ValueReader } from './reader.js';

const CLUSTER_TYPES = ['eks', 'kubernetes'] as const;
const ACCESS_MODES = ['gateway', 'broker'] as const;
const EKS_FIELDS = ['name', 'type', 'access', 'region', 'clusterName', 'roleArn', 'usernameTemplate', 'stsEndpoint', 'eksEndpoint', 'caFile'];
const KUBERNETES_FIELDS = ['name', 'type', 'access', 'kubeconfig', 'context'];

/** The username the EKS access entry maps a grant's role session to, unless a cluster says otherwise. */
export const DEFAULT_USERNAME_TEMPLATE = 'kgate:{{SessionName}}';

const REGION = { pattern: /^[a-z]{2}(-[a-z]+)+-\d+$/, expected: 'an AWS region like "us-east-1"' };
const EKS_CLUSTER_NAME = { pattern: /^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/, expected: 'an EKS cluster name (letters, digits, "-", "_")' };
const ROLE_ARN = { pattern: /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/, expected: 'an IAM role ARN like "arn:aws:iam::111122223333:role/kgate"' };

/** Reads one cluster; the fields allowed depend on its `type`. */
export function readCluster(r: ValueReader): ClusterConfig | undefined {
  const m = r.map('any');
  if (!m) return undefined;
  const nameField = m.field('name');
  nameField.required();
  const name = nameField.string(DNS_LABEL) ?? '';
  const typeField = m.field('type');
  typeField.required();
  const type = typeField.oneOf(CLUSTER_TYPES);
  // The gateway is the default: a caller's machine then never holds a cluster credential.
  const access = m.field('access').oneOf(ACCESS_MODES) ?? 'gateway';
  if (type === 'eks') {
    m.allowOnly(EKS_FIELDS, ' for a cluster of type eks');
    const required = (field: string, opts: Parameters<ValueReader['string']>[0]) => {
      const f = m.field(field);
      f.required();
      return f.string(opts) ?? '';
    };
    const usernameField = m.field('usernameTemplate');
    let usernameTemplate = usernameField.string() ?? DEFAULT_USERNAME_TEMPLATE;
    if (!usernameTemplate.includes('{{SessionName}}')) {
      usernameField.report(`expected a template containing {{SessionName}} (the grant's role session), got ${JSON.stringify(usernameTemplate)}`);
      usernameTemplate = DEFAULT_USERNAME_TEMPLATE;
    }
    const cluster: ClusterConfig = {
      name,
      type,
      access,
      region: required('region', REGION),
      clusterName: m.field('clusterName').string(EKS_CLUSTER_NAME) ?? name,
      roleArn: required('roleArn', ROLE_ARN),
      usernameTemplate,
    };
    const stsEndpoint = readUrl(m.field('stsEndpoint'));
    const eksEndpoint = readUrl(m.field('eksEndpoint'));
    const caFile = m.field('caFile').string({ env: true });
    if (stsEndpoint) cluster.stsEndpoint = stsEndpoint;
    if (eksEndpoint) cluster.eksEndpoint = eksEndpoint;
    if (caFile) cluster.caFile = caFile;
    return cluster;
  }
  if (type === 'kubernetes') {
    m.allowOnly(KUBERNETES_FIELDS, ' for a cluster of type kubernetes');
    const kubeconfigField = m.field('kubeconfig');
    kubeconfigField.required();
    const cluster: ClusterConfig = { name, type, access, kubeconfig: kubeconfigField.string({ env: true }) ?? '' };
    const context = m.field('context').string();
    if (context) cluster.context = context;
    return cluster;
  }
  m.allowOnly([...new Set([...EKS_FIELDS, ...KUBERNETES_FIELDS])]);
  // The type is already reported; keeping the name lets references to this cluster resolve
  // instead of piling up "no cluster named …" for one mistake. The policy is not returned.
  return { name, type: 'kubernetes', access, kubeconfig: '' };
}
