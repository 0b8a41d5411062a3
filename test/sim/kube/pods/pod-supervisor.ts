/**
 * The simulated node: watches the pod store like a kubelet, starts each pod's containers as
 * local processes, writes the pod status back, and tears pods down when they are deleted.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { StatusError, type ObjectStore, type StoreEvent } from '../types.js';
import { ContainerRunner } from './container-runner.js';
import { buildPodStatus, qosClass, type ContainerSummary } from './pod-status.js';
import { PODS, type PodObject } from './pod-target.js';

/** The node name pods are bound to. */
export const NODE_NAME = 'ip-127-0-0-1.ec2.internal';

/** The upper bound for terminationGracePeriodSeconds, so deletes stay fast in tests. */
const MAX_GRACE_MS = 2_000;

/** One pod running on the node. */
export interface PodRun {
  uid: string;
  namespace: string;
  name: string;
  dir: string;
  startTime: string;
  containers: Map<string, ContainerRunner>;
  graceMs: number;
}

function rfc3339(date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function keyOf(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

function safeSegment(value: string): string {
  return value.replace(/[^A-Za-z0-9._-]/g, '_');
}

export class PodSupervisor {
  private readonly runs = new Map<string, PodRun>();
  private unsubscribe: (() => void) | undefined;
  private closed = false;

  constructor(
    private readonly store: ObjectStore,
    private readonly workDir: string,
    private readonly log: (line: string) => void,
  ) {}

  /** Subscribes first, then adopts existing pods, so none is missed in between. */
  start(): void {
    mkdirSync(this.workDir, { recursive: true });
    // Reacting later, not inside the store's notification, keeps every watcher's order ADDED → MODIFIED.
    this.unsubscribe = this.store.subscribe(PODS, (event) => setImmediate(() => this.onEvent(event)));
    for (const pod of this.store.list(PODS, '').items) this.adopt(pod as PodObject);
  }

  /** The running pod with this name, if the node runs it. */
  find(namespace: string, name: string): PodRun | undefined {
    return this.runs.get(keyOf(namespace, name));
  }

  /** Stops every pod's processes and forgets them. */
  async close(): Promise<void> {
    this.closed = true;
    this.unsubscribe?.();
    const runs = [...this.runs.values()];
    this.runs.clear();
    await Promise.all(runs.map((run) => this.teardown(run)));
  }

  private onEvent(event: StoreEvent): void {
    if (this.closed) return;
    const pod = event.object as PodObject;
    if (event.type === 'DELETED') {
      const run = this.find(pod.metadata.namespace ?? '', pod.metadata.name);
      if (run && run.uid === pod.metadata.uid) this.remove(run);
      return;
    }
    if (pod.metadata.deletionTimestamp) {
      void this.finalizeDeletion(pod);
      return;
    }
    this.adopt(pod);
  }

  private adopt(pod: PodObject): void {
    const namespace = pod.metadata.namespace ?? 'default';
    const existing = this.find(namespace, pod.metadata.name);
    if (existing?.uid === pod.metadata.uid) return;
    if (existing) this.remove(existing);
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed' || pod.metadata.deletionTimestamp) return;
    if (pod.spec?.initContainers?.length) this.log(`pods: ${namespace}/${pod.metadata.name}: initContainers are not run by the simulated node`);
    const uid = pod.metadata.uid ?? pod.metadata.name;
    const run: PodRun = {
      uid,
      namespace,
      name: pod.metadata.name,
      dir: join(this.workDir, `${safeSegment(namespace)}_${safeSegment(pod.metadata.name)}_${safeSegment(uid)}`),
      startTime: rfc3339(),
      containers: new Map(),
      graceMs: Math.min((pod.spec?.terminationGracePeriodSeconds ?? 30) * 1000, MAX_GRACE_MS),
    };
    this.runs.set(keyOf(namespace, pod.metadata.name), run);
    const bound: PodObject = { ...pod, spec: { ...pod.spec, nodeName: pod.spec?.nodeName ?? NODE_NAME } };
    for (const spec of pod.spec?.containers ?? []) {
      const dir = join(run.dir, safeSegment(spec.name));
      mkdirSync(dir, { recursive: true });
      const runner = new ContainerRunner({
        pod: bound,
        spec,
        dir,
        store: this.store,
        restartPolicy: pod.spec?.restartPolicy ?? 'Always',
        onChange: () => this.writeStatus(run),
        log: this.log,
      });
      run.containers.set(spec.name, runner);
    }
    this.writeStatus(run);
    for (const runner of run.containers.values()) runner.start();
  }

  /** Graceful deletion: the kubelet stops the containers, then removes the object for good. */
  private async finalizeDeletion(pod: PodObject): Promise<void> {
    const run = this.find(pod.metadata.namespace ?? '', pod.metadata.name);
    if (run && run.uid === pod.metadata.uid) {
      this.runs.delete(keyOf(run.namespace, run.name));
      await this.teardown(run);
    }
    try {
      const current = this.store.get(PODS, pod.metadata.namespace ?? '', pod.metadata.name);
      if (current && current.metadata.uid === pod.metadata.uid) this.store.delete(PODS, pod.metadata.namespace ?? '', pod.metadata.name);
    } catch (error) {
      if (!(error instanceof StatusError && error.code === 404)) this.log(`pods: could not remove deleted pod ${pod.metadata.name}: ${String(error)}`);
    }
  }

  private remove(run: PodRun): void {
    this.runs.delete(keyOf(run.namespace, run.name));
    void this.teardown(run);
  }

  private async teardown(run: PodRun): Promise<void> {
    await Promise.all([...run.containers.values()].map((c) => c.stop(run.graceMs)));
    rmSync(run.dir, { recursive: true, force: true });
  }

  private summaries(run: PodRun): ContainerSummary[] {
    return [...run.containers.values()].map((c) => ({
      name: c.name,
      running: c.running,
      done: c.done,
      created: c.current?.startedAt !== undefined,
      ...(c.current?.exit ? { exitCode: c.current.exit.exitCode } : {}),
      status: c.status(),
    }));
  }

  /** Writes the pod's status (and its node binding), retrying on resourceVersion conflicts. */
  private writeStatus(run: PodRun): void {
    if (this.find(run.namespace, run.name) !== run) return;
    for (let attempt = 0; attempt < 3; attempt++) {
      const pod = this.store.get(PODS, run.namespace, run.name) as PodObject | undefined;
      if (!pod || (pod.metadata.uid ?? pod.metadata.name) !== run.uid) return;
      const previous = pod.status?.conditions as { type: string; status: string; lastTransitionTime?: string }[] | undefined;
      const status = buildPodStatus({
        containers: this.summaries(run),
        startTime: run.startTime,
        qosClass: qosClass((pod.spec?.containers ?? []) as { resources?: { requests?: Record<string, string>; limits?: Record<string, string> } }[]),
        ...(previous ? { previousConditions: previous } : {}),
        now: rfc3339(),
      });
      const updated: PodObject = { ...pod, spec: { ...pod.spec, nodeName: pod.spec?.nodeName ?? NODE_NAME }, status };
      try {
        this.store.update(PODS, updated);
        return;
      } catch (error) {
        if (!(error instanceof StatusError && error.code === 409)) {
          this.log(`pods: status update of ${run.namespace}/${run.name} failed: ${String(error)}`);
          return;
        }
      }
    }
    this.log(`pods: status update of ${run.namespace}/${run.name} kept conflicting`);
  }
}
