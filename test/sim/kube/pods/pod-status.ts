/**
 * The pod status the kubelet would write, computed from its containers (kubelet_pods.go
 * `getPhase`, status/generate.go for conditions).
 */

/** What the pod status is computed from: one entry per container. */
export interface ContainerSummary {
  name: string;
  running: boolean;
  /** Ended and will not be restarted. */
  done: boolean;
  /** Exit code of the last run, when it ended. */
  exitCode?: number;
  /** Has started at least once (or failed to). */
  created: boolean;
  status: Record<string, unknown>;
}

export interface PodStatusInput {
  containers: ContainerSummary[];
  startTime: string;
  qosClass: string;
  /** The previous status's conditions, so unchanged ones keep their lastTransitionTime. */
  previousConditions?: { type: string; status: string; lastTransitionTime?: string }[];
  now: string;
}

/** Pending until every container was created; Succeeded/Failed once all are done; else Running. */
export function podPhase(containers: readonly ContainerSummary[]): string {
  if (containers.length === 0 || containers.some((c) => !c.created)) return 'Pending';
  if (!containers.every((c) => c.done)) return 'Running';
  return containers.every((c) => c.exitCode === 0) ? 'Succeeded' : 'Failed';
}

function condition(input: PodStatusInput, type: string, ok: boolean, reason?: string, message?: string): Record<string, unknown> {
  const status = ok ? 'True' : 'False';
  const before = input.previousConditions?.find((c) => c.type === type);
  const lastTransitionTime = before && before.status === status && before.lastTransitionTime ? before.lastTransitionTime : input.now;
  return { type, status, lastProbeTime: null, lastTransitionTime, ...(reason ? { reason } : {}), ...(message ? { message } : {}) };
}

/** v1.PodStatus for a pod on the simulated node (pod and host IP are loopback). */
export function buildPodStatus(input: PodStatusInput): Record<string, unknown> {
  const phase = podPhase(input.containers);
  const finished = phase === 'Succeeded' || phase === 'Failed';
  const unready = input.containers.filter((c) => !c.running).map((c) => c.name);
  const ready = unready.length === 0 && input.containers.length > 0;
  const reason = finished ? 'PodCompleted' : ready ? undefined : 'ContainersNotReady';
  const message = finished || ready ? undefined : `containers with unready status: [${unready.join(' ')}]`;
  return {
    phase,
    conditions: [
      condition(input, 'PodReadyToStartContainers', !finished),
      condition(input, 'Initialized', true, finished ? 'PodCompleted' : undefined),
      condition(input, 'Ready', ready, reason, message),
      condition(input, 'ContainersReady', ready, reason, message),
      condition(input, 'PodScheduled', true),
    ],
    hostIP: '127.0.0.1',
    hostIPs: [{ ip: '127.0.0.1' }],
    podIP: '127.0.0.1',
    podIPs: [{ ip: '127.0.0.1' }],
    startTime: input.startTime,
    containerStatuses: input.containers.map((c) => c.status),
    qosClass: input.qosClass,
  };
}

type Resources = { requests?: Record<string, string>; limits?: Record<string, string> };

/** BestEffort without requests/limits, Guaranteed when every container's requests equal its limits, else Burstable. */
export function qosClass(containers: readonly { resources?: Resources }[]): string {
  const all = containers.map((c) => c.resources ?? {});
  if (all.every((r) => Object.keys(r.requests ?? {}).length === 0 && Object.keys(r.limits ?? {}).length === 0)) return 'BestEffort';
  const guaranteed = all.every((r) => {
    const limits = r.limits ?? {};
    const requests = { ...limits, ...(r.requests ?? {}) };
    return ['cpu', 'memory'].every((k) => limits[k] !== undefined && requests[k] === limits[k]);
  });
  return guaranteed ? 'Guaranteed' : 'Burstable';
}
