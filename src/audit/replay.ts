/**
 * Plays an exec recording (asciicast v2) back into a terminal, as `kgate audit replay` does: the
 * output events at their recorded pace, divided by a speed factor, with long idle gaps cut short
 * so a session where someone stepped away for an hour replays in seconds. Time, the terminal and
 * the interrupt are injected, so tests play a recording without waiting.
 */
import type { AsciicastEvent } from './asciicast.js';

export interface ReplayOptions {
  /** Playback speed factor; 2 plays twice as fast. Default 1. */
  speed?: number;
  /** Longest pause between two outputs in recorded seconds, before the speed applies. Default no cap. */
  maxIdle?: number;
  /** Receives each output's text in order. */
  write: (data: string) => void;
  /** Waits `ms`; rejects or resolves early when `signal` aborts. */
  sleep: (ms: number, signal?: AbortSignal) => Promise<unknown>;
  /** Stops the playback between two outputs (SIGINT). */
  signal?: AbortSignal;
}

/** One step of a playback: wait `delayMs`, then write `data`. */
export interface ReplayStep {
  delayMs: number;
  data: string;
}

export interface ReplayResult {
  /** Output events written. */
  written: number;
  /** Time the playback spent waiting, in ms. */
  waitedMs: number;
  interrupted: boolean;
}

/**
 * The output steps of a recording. Only `"o"` events reach the terminal: input is echoed in the
 * output already, and resizes and markers have nothing to draw.
 */
export function replaySteps(events: readonly AsciicastEvent[], options: Pick<ReplayOptions, 'speed' | 'maxIdle'> = {}): ReplayStep[] {
  const speed = options.speed ?? 1;
  const maxIdle = options.maxIdle ?? Infinity;
  if (!(speed > 0) || !Number.isFinite(speed)) throw new RangeError(`speed must be a positive number, not ${speed}`);
  if (!(maxIdle >= 0)) throw new RangeError(`maxIdle must be zero or more seconds, not ${maxIdle}`);
  const steps: ReplayStep[] = [];
  let last = 0;
  for (const [time, code, data] of events) {
    if (code !== 'o') continue;
    const gap = Math.min(Math.max(0, time - last), maxIdle);
    // Whole microseconds, as the format records them, so float noise does not reach the timer.
    steps.push({ delayMs: Math.round((gap * 1e6) / speed) / 1000, data });
    last = time;
  }
  return steps;
}

/** Plays `events`; returns when done or, between two outputs, once `signal` aborts. */
export async function replay(events: readonly AsciicastEvent[], options: ReplayOptions): Promise<ReplayResult> {
  const result: ReplayResult = { written: 0, waitedMs: 0, interrupted: false };
  const aborted = () => (result.interrupted = options.signal?.aborted ?? false);
  for (const step of replaySteps(events, options)) {
    if (aborted()) break;
    if (step.delayMs > 0) {
      await options.sleep(step.delayMs, options.signal).catch((error: unknown) => {
        if (!options.signal?.aborted) throw error;
      });
      if (aborted()) break;
      result.waitedMs += step.delayMs;
    }
    options.write(step.data);
    result.written += 1;
  }
  return result;
}
