/**
 * The interactive half of `kgate session`: pick the cluster and the grant template (only what the
 * policy service says the caller may request), give a reason, and watch the request live — the
 * approval id and the command approvers run while it waits, then the grant and the time it has.
 * Steps already answered by flags are skipped. Esc or Ctrl-C withdraws a waiting request.
 * The component talks to the service only through its props; the command renders and unmounts it.
 */
import { Box, Text, useInput } from 'ink';
import SelectInput from 'ink-select-input';
import Spinner from 'ink-spinner';
import TextInput from 'ink-text-input';
import { useEffect, useRef, useState } from 'react';
import { ExitCode, KgateError } from '../cli/errors.js';
import type { ObtainedGrant } from '../broker/runtime/obtain-grant.js';
import { formatDuration } from '../policy/duration.js';
import type { GrantTemplateView, GrantView } from '../policy/client.js';
import { describeGrant } from '../policy/render.js';
import { formatRemaining } from '../policy/render.js';
import type { WatchedObtain } from './watched-obtain.js';

/** How the interface ended. */
export type SessionOutcome =
  | { kind: 'ready'; obtained: ObtainedGrant }
  | { kind: 'cancelled' }
  | { kind: 'failed'; error: unknown };

export interface SessionAppProps {
  /** What flags already decided. */
  preset: { cluster?: string; grant?: string; reason?: string };
  /** Templates the caller may request (on `cluster`, or everywhere). */
  loadTemplates(cluster?: string): Promise<GrantTemplateView[]>;
  /** Starts obtaining the grant. */
  obtain(choice: { cluster: string; grant: string; reason?: string }, events: { onGrant(grant: GrantView): void; onStatus(line: string): void }): WatchedObtain;
  onEnd(outcome: SessionOutcome): void;
  now?: () => number;
}

type Step =
  | { name: 'loading' }
  | { name: 'cluster'; clusters: string[] }
  | { name: 'template'; cluster: string }
  | { name: 'reason'; cluster: string; grant: string; required: boolean; missing: boolean }
  | { name: 'waiting'; cluster: string; grant: string; since: number; view?: GrantView; status?: string }
  | { name: 'active'; obtained: ObtainedGrant }
  | { name: 'cancelling' }
  | { name: 'failed' };

/** One line per template: what it grants, for how long, and what it asks for. */
export function templateLabel(t: GrantTemplateView): string {
  const where = t.namespaces.includes('*') ? 'all namespaces' : t.namespaces.join(', ');
  const asks = [t.approval ? `approval by ${t.approval.groups.join(' or ')}` : 'no approval', ...(t.breakGlassOnly ? ['break-glass'] : []), ...(t.reasonRequired ? ['reason required'] : [])];
  return `${t.name} — ${t.clusterRole} in ${where}, ${formatDuration(t.defaultTtlMs)} (${asks.join(', ')})`;
}

function nothingToRequest(where: string): KgateError {
  return new KgateError(`You may not request any grant ${where}`, { code: 'KGATE_GRANT_DENIED', exit: ExitCode.Denied, suggestions: ['Ask the platform team which grant templates your groups may request.'] });
}

export function SessionApp(props: SessionAppProps) {
  const now = props.now ?? Date.now;
  const [step, setStep] = useState<Step>({ name: 'loading' });
  const [templates, setTemplates] = useState<GrantTemplateView[]>([]);
  const [highlighted, setHighlighted] = useState<GrantTemplateView | undefined>();
  const [reason, setReason] = useState('');
  const [, setTick] = useState(0);
  const request = useRef<WatchedObtain | undefined>(undefined);
  const ended = useRef(false);
  const cancelling = useRef(false);

  const end = (outcome: SessionOutcome) => {
    if (ended.current) return;
    ended.current = true;
    props.onEnd(outcome);
  };
  const fail = (error: unknown) => {
    setStep({ name: 'failed' });
    end({ kind: 'failed', error });
  };

  const start = (cluster: string, grant: string, why: string | undefined) => {
    setStep({ name: 'waiting', cluster, grant, since: now() });
    const update = (change: Partial<Extract<Step, { name: 'waiting' }>>) => setStep((s) => (s.name === 'waiting' ? { ...s, ...change } : s));
    const watched = props.obtain({ cluster, grant, ...(why ? { reason: why } : {}) }, { onGrant: (view) => update({ view }), onStatus: (status) => update({ status }) });
    request.current = watched;
    watched.done.then(
      (obtained) => setStep((s) => (s.name === 'cancelling' ? s : { name: 'active', obtained })),
      (error: unknown) => { if (!cancelling.current) fail(error); },
    );
  };

  const chooseTemplate = (cluster: string, name: string) => {
    const t = templates.find((x) => x.name === name);
    if (props.preset.reason !== undefined) start(cluster, name, props.preset.reason);
    else setStep({ name: 'reason', cluster, grant: name, required: t?.reasonRequired ?? false, missing: false });
  };

  const chooseCluster = (cluster: string, offered: GrantTemplateView[]) => {
    const mine = offered.filter((t) => t.clusters.includes(cluster));
    setTemplates(mine);
    setHighlighted(mine[0]);
    if (props.preset.grant) {
      const t = mine.find((x) => x.name === props.preset.grant);
      if (props.preset.reason !== undefined) start(cluster, props.preset.grant, props.preset.reason);
      else setStep({ name: 'reason', cluster, grant: props.preset.grant, required: t?.reasonRequired ?? false, missing: false });
    } else if (mine.length === 0) {
      fail(nothingToRequest(`on cluster ${cluster}`));
    } else {
      setStep({ name: 'template', cluster });
    }
  };

  useEffect(() => {
    props.loadTemplates(props.preset.cluster).then((offered) => {
      const clusters = props.preset.cluster ? [props.preset.cluster] : [...new Set(offered.flatMap((t) => t.clusters))];
      setTemplates(offered);
      if (clusters.length === 1) chooseCluster(clusters[0]!, offered);
      else if (clusters.length === 0) fail(nothingToRequest('on any cluster'));
      else setStep({ name: 'cluster', clusters });
    }, fail);
  }, []); // Once: the preset and the loaders do not change while the interface is up.

  useEffect(() => {
    if (step.name === 'active') end({ kind: 'ready', obtained: step.obtained });
    if (step.name !== 'waiting') return undefined;
    const timer = setInterval(() => setTick((n) => n + 1), 1000);
    return () => clearInterval(timer);
  }, [step.name]);

  useInput((input, key) => {
    if (!(key.escape || (key.ctrl && input === 'c')) || ended.current || cancelling.current) return;
    cancelling.current = true;
    setStep({ name: 'cancelling' });
    void (request.current?.cancel() ?? Promise.resolve()).then(() => end({ kind: 'cancelled' }));
  });

  switch (step.name) {
    case 'loading':
      return <Text><Spinner /> Asking the policy service which grants you may request…</Text>;
    case 'cluster':
      return (
        <Box flexDirection="column">
          <Text bold>Cluster</Text>
          <SelectInput items={step.clusters.map((c) => ({ label: c, value: c }))} onSelect={(item) => chooseCluster(item.value, templates)} />
        </Box>
      );
    case 'template':
      return (
        <Box flexDirection="column">
          <Text bold>Grant template on {step.cluster}</Text>
          <SelectInput items={templates.map((t) => ({ label: templateLabel(t), value: t.name }))} onHighlight={(item) => setHighlighted(templates.find((t) => t.name === item.value))} onSelect={(item) => chooseTemplate(step.cluster, item.value)} />
          {highlighted?.description ? <Text dimColor>{highlighted.description}</Text> : null}
        </Box>
      );
    case 'reason':
      return (
        <Box flexDirection="column">
          <Text bold>Reason for {step.grant} on {step.cluster} {step.required ? '(required)' : '(optional, Enter to skip)'}</Text>
          <Box>
            <Text>› </Text>
            <TextInput value={reason} onChange={setReason} onSubmit={(value) => {
              if (step.required && !value.trim()) setStep({ ...step, missing: true });
              else start(step.cluster, step.grant, value.trim() || undefined);
            }} />
          </Box>
          {step.missing ? <Text color="yellow">{step.grant} needs a reason.</Text> : null}
        </Box>
      );
    case 'waiting': {
      const view = step.view;
      const elapsed = formatRemaining(now() - step.since);
      if (view?.state === 'pending') {
        return (
          <Box flexDirection="column">
            <Text><Spinner /> Waiting for approval{view.approvalId ? ` ${view.approvalId}` : ''} of grant {view.id} ({elapsed === 'expired' ? '0s' : elapsed})</Text>
            <Text>{describeGrant(view)}</Text>
            {view.approvalId ? <Text>Approvers run: <Text bold>kgate approve {view.approvalId}</Text></Text> : null}
            <Text dimColor>Esc withdraws the request.</Text>
          </Box>
        );
      }
      return <Text><Spinner /> Requesting {step.grant} on {step.cluster}…</Text>;
    }
    case 'active': {
      const { grant, created } = step.obtained;
      return (
        <Box flexDirection="column">
          <Text color="green">✔ {describeGrant(grant)}{created ? '' : ' (a grant you already held)'}</Text>
          <Text>Time left: {formatRemaining((grant.expiresAt ?? 0) - now())}. Starting your shell; type exit to end the session.</Text>
        </Box>
      );
    }
    case 'cancelling':
      return <Text>Withdrawing the request…</Text>;
    case 'failed':
      return <Text color="red">✖ No grant.</Text>;
  }
}
