/**
 * CPU time of benchmark processes, so a benchmark can say what a path costs in CPU per byte as
 * well as how fast it went: on a shared machine wall-clock throughput moves with everyone else's
 * load, CPU time per byte much less. Linux only (/proc); elsewhere the figures are unknown.
 */
import { readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) a process has used so far: its own, and its finished children's. */
export interface CpuTime {
  own: number;
  children: number;
}

/** CPU time of `pid` so far, or undefined where /proc cannot say. */
export function cpuTime(pid: number): CpuTime | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The fields after the command name, which is in parentheses and may hold spaces: utime is the 12th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
    return { own: (fields[11]! + fields[12]!) / TICKS_PER_SECOND, children: (fields[13]! + fields[14]!) / TICKS_PER_SECOND };
  } catch {
    return undefined;
  }
}

/** CPU seconds of this process (every thread). */
export function ownCpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}
