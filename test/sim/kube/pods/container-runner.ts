/**
 * Runs one container's main process as a real local process and tracks what the kubelet would
 * report about it: the current and previous run, restarts under the pod's restartPolicy (with a
 * shortened CrashLoopBackOff), and the container status fields.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import type { Writable } from 'node:stream';
import type { ObjectStore } from '../types.js';
import { containerEnv, EnvError, expandReferences } from './container-env.js';
import { ContainerLog } from './container-log.js';
import { notFoundMessage, resolveExecutable } from './executable.js';
import { terminateProcessGroup, trackProcessGroup } from './process-group.js';
import type { ContainerSpec, PodObject } from './pod-target.js';
import { ttyArgv } from './tty.js';
import { mountVolumes, MountError } from './volumes.js';

/** How one run of the main process ended. */
export interface ContainerExit {
  exitCode: number;
  reason: string;
  message?: string;
  signal?: number;
  finishedAt: string;
}

/** One run of the container's main process. */
export interface ContainerInstance {
  containerID: string;
  log: ContainerLog;
  /** The environment the process started with; exec sessions get the same, as in a real container. */
  env: Record<string, string>;
  startedAt?: string;
  exit?: ContainerExit;
  process?: ChildProcess;
  /** The process's stdin when the container spec asks for one (for attach). */
  stdin?: Writable;
}

export interface ContainerRunnerOptions {
  pod: PodObject;
  spec: ContainerSpec;
  dir: string;
  store: ObjectStore;
  /** restartPolicy decides: Always, OnFailure or Never. */
  restartPolicy: string;
  onChange: () => void;
  log: (line: string) => void;
}

const BACKOFF_MAX_MS = 10_000;
const CONFIG_RETRY_MS = 2_000;

/** Real images are not pulled; their reference is normalised the way containerd reports it. */
export function normaliseImage(image: string): string {
  const withTag = /[:@][^/]*$/.test(image) ? image : `${image}:latest`;
  const first = withTag.split('/')[0]!;
  if (withTag.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')) return withTag;
  return withTag.includes('/') ? `docker.io/${withTag}` : `docker.io/library/${withTag}`;
}

function imageID(image: string): string {
  const repository = image.replace(/[:@][^/]*$/, '');
  return `${repository}@sha256:${createHash('sha256').update(image).digest('hex')}`;
}

function rfc3339(date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15, SIGABRT: 6, SIGSEGV: 11, SIGPIPE: 13 };

/** The main process's argv: command+args, or args alone (images without ENTRYPOINT), or idle. */
export function mainArgv(spec: ContainerSpec, env: Record<string, string>): string[] {
  const argv = spec.command?.length ? [...spec.command, ...(spec.args ?? [])] : (spec.args ?? []);
  if (argv.length === 0) return ['sleep', 'infinity'];
  return argv.map((word) => expandReferences(word, env));
}

export class ContainerRunner {
  readonly name: string;
  readonly image: string;
  restartCount = 0;
  current: ContainerInstance | undefined;
  previous: ContainerInstance | undefined;
  private waiting: { reason: string; message?: string } | undefined = { reason: 'ContainerCreating' };
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: ContainerRunnerOptions) {
    this.name = options.spec.name;
    this.image = normaliseImage(options.spec.image ?? 'busybox');
  }

  /** The container's working directory on the node. */
  get dir(): string {
    return this.options.dir;
  }

  /** Starts the first run. */
  start(): void {
    this.run();
  }

  /** Stops for good: no restarts, SIGTERM then SIGKILL after `graceMs`. */
  async stop(graceMs: number): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    const child = this.current?.process;
    if (child) await terminateProcessGroup(child, graceMs);
  }

  /** True while the main process runs. */
  get running(): boolean {
    return this.current !== undefined && this.current.startedAt !== undefined && this.current.exit === undefined;
  }

  /** True when the container has ended and will not be restarted. */
  get done(): boolean {
    return this.current?.exit !== undefined && this.waiting === undefined && this.timer === undefined;
  }

  /** v1.ContainerStatus. */
  status(): Record<string, unknown> {
    const current = this.current;
    const running = this.running;
    return {
      name: this.name,
      state: this.state(),
      lastState: this.previous?.exit ? { terminated: this.terminated(this.previous) } : {},
      ready: running,
      restartCount: this.restartCount,
      image: this.image,
      imageID: imageID(this.image),
      ...(current?.startedAt ? { containerID: `containerd://${current.containerID}` } : {}),
      started: running,
    };
  }

  private state(): Record<string, unknown> {
    if (this.waiting) return { waiting: this.waiting };
    const current = this.current!;
    if (current.exit) return { terminated: this.terminated(current) };
    return { running: { startedAt: current.startedAt } };
  }

  private terminated(instance: ContainerInstance): Record<string, unknown> {
    const exit = instance.exit!;
    return {
      exitCode: exit.exitCode,
      ...(exit.signal !== undefined ? { signal: exit.signal } : {}),
      reason: exit.reason,
      ...(exit.message ? { message: exit.message } : {}),
      startedAt: instance.startedAt ?? exit.finishedAt,
      finishedAt: exit.finishedAt,
      containerID: `containerd://${instance.containerID}`,
    };
  }

  private run(): void {
    if (this.stopped) return;
    const { pod, spec, dir, store } = this.options;
    let env: Record<string, string>;
    try {
      // The pod's directory holds its volumes (pod-supervisor.ts puts each container's below it).
      mountVolumes(store, pod, spec, dir, dirname(dir));
      env = containerEnv(store, pod, spec, dir);
    } catch (error) {
      if (!(error instanceof EnvError || error instanceof MountError)) throw error;
      // A volume that cannot be set up keeps the pod in ContainerCreating (the reason is an event on a node).
      this.waiting = error instanceof MountError ? { reason: 'ContainerCreating' } : { reason: 'CreateContainerConfigError', message: error.message };
      if (error instanceof MountError) this.options.log(`pods: MountVolume.SetUp failed for pod ${pod.metadata.namespace}/${pod.metadata.name}: ${error.message}`);
      this.options.onChange();
      this.timer = setTimeout(() => ((this.timer = undefined), this.run()), CONFIG_RETRY_MS);
      return;
    }
    const instance: ContainerInstance = { containerID: randomBytes(32).toString('hex'), log: new ContainerLog(), env };
    this.current = instance;
    const argv = mainArgv(spec, env);
    if (!resolveExecutable(argv[0]!, env.PATH!, dir)) {
      instance.startedAt = rfc3339();
      const message = `failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: ${notFoundMessage(argv[0]!)}: unknown`;
      this.finish(instance, { exitCode: 128, reason: 'StartError', message, finishedAt: rfc3339() });
      return;
    }
    this.spawnMain(instance, spec.tty ? ttyArgv(argv) : argv, env);
  }

  private spawnMain(instance: ContainerInstance, argv: string[], env: Record<string, string>): void {
    const withStdin = this.options.spec.stdin === true;
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: this.options.dir,
      env: this.options.spec.tty ? { ...env, TERM: 'xterm', SHELL: '/bin/sh' } : env,
      detached: true,
      stdio: [withStdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    instance.process = child;
    trackProcessGroup(child);
    if (withStdin && child.stdin) {
      instance.stdin = child.stdin;
      child.stdin.on('error', () => undefined);
    }
    child.stdout!.on('data', (chunk: Buffer) => instance.log.append('stdout', chunk));
    child.stderr!.on('data', (chunk: Buffer) => instance.log.append('stderr', chunk));
    child.once('spawn', () => {
      instance.startedAt = rfc3339();
      this.waiting = undefined;
      this.options.onChange();
    });
    child.once('error', (error) => {
      if (instance.startedAt) return;
      instance.startedAt = rfc3339();
      this.finish(instance, { exitCode: 128, reason: 'StartError', message: error.message, finishedAt: rfc3339() });
    });
    child.once('close', (code, signal) => {
      if (instance.exit) return;
      const signalNumber = signal ? SIGNALS[signal] ?? 15 : undefined;
      const exitCode = code ?? 128 + (signalNumber ?? 0);
      this.finish(instance, { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', finishedAt: rfc3339(), ...(signalNumber ? { signal: signalNumber } : {}) });
    });
  }

  private finish(instance: ContainerInstance, exit: ContainerExit): void {
    instance.exit = exit;
    instance.log.end();
    this.waiting = undefined;
    const policy = this.options.restartPolicy;
    const restart = !this.stopped && (policy === 'Always' || (policy === 'OnFailure' && exit.exitCode !== 0));
    if (restart) this.scheduleRestart();
    this.options.onChange();
  }

  private scheduleRestart(): void {
    const delayMs = this.restartCount === 0 ? 0 : Math.min(1000 * 2 ** (this.restartCount - 1), BACKOFF_MAX_MS);
    const { pod } = this.options;
    if (delayMs > 0) {
      this.waiting = {
        reason: 'CrashLoopBackOff',
        message: `back-off ${Math.round(delayMs / 1000)}s restarting failed container=${this.name} pod=${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})`,
      };
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.previous = this.current;
      this.restartCount += 1;
      this.options.log(`pods: restarting container ${this.name} of pod ${pod.metadata.namespace}/${pod.metadata.name} (restart ${this.restartCount})`);
      this.run();
    }, delayMs);
  }
}
