import { createAsciicastWriter, parseAsciicast, type AsciicastEvent } from '../../../src/audit/asciicast.js';
import { replay, replaySteps } from '../../../src/audit/replay.js';

/** A virtual clock: `sleep` advances it at once and records each wait. */
function virtualTime() {
  const waits: number[] = [];
  return {
    waits,
    sleep: async (ms: number) => {
      waits.push(ms);
    },
  };
}

const EVENTS: AsciicastEvent[] = [
  [0.5, 'o', '$ '],
  [1.0, 'i', 'ls\r'],
  [1.25, 'o', 'ls\r\n'],
  [1.25, 'r', '120x40'],
  [61.25, 'o', 'a.txt\r\n'],
  [61.5, 'm', 'note'],
  [62.0, 'o', '$ '],
];

describe('the replay player', () => {
  test('writes exactly the recorded output, in order, waiting the recorded gaps', async () => {
    const time = virtualTime();
    let screen = '';
    const result = await replay(EVENTS, { write: (d) => (screen += d), sleep: time.sleep });
    expect(screen).toBe('$ ls\r\na.txt\r\n$ ');
    expect(time.waits).toEqual([500, 750, 60_000, 750]);
    expect(result).toEqual({ written: 4, waitedMs: 62_000, interrupted: false });
  });

  test.each([
    [{ speed: 2 }, [250, 375, 30_000, 375]],
    [{ maxIdle: 1 }, [500, 750, 1000, 750]],
    [{ speed: 100, maxIdle: 2 }, [5, 7.5, 20, 7.5]],
    [{ maxIdle: 0 }, [0, 0, 0, 0]],
  ])('scales the gaps by speed and caps idle time: %j', (options, delays) => {
    expect(replaySteps(EVENTS, options).map((s) => s.delayMs)).toEqual(delays);
  });

  test('does not wait for zero gaps and counts only output events', async () => {
    const time = virtualTime();
    const written: string[] = [];
    await replay([[0, 'o', 'a'], [0, 'o', 'b'], [0, 'r', '80x24'], [0.1, 'o', 'c']], { write: (d) => written.push(d), sleep: time.sleep });
    expect(written).toEqual(['a', 'b', 'c']);
    expect(time.waits).toEqual([100]);
  });

  test('stops between two outputs when interrupted, also in the middle of a wait', async () => {
    const stop = new AbortController();
    const written: string[] = [];
    const sleep = (_ms: number, signal?: AbortSignal) => new Promise((resolve, reject) => {
      // Interrupted during the long idle gap: the wait ends with an AbortError as timers/promises' does.
      if (written.length === 2) {
        stop.abort();
        reject(signal?.reason as Error);
      } else {
        resolve(undefined);
      }
    });
    const result = await replay(EVENTS, { write: (d) => written.push(d), sleep, signal: stop.signal });
    expect(written).toEqual(['$ ', 'ls\r\n']);
    expect(result).toMatchObject({ written: 2, interrupted: true });
  });

  test('an already interrupted replay writes nothing', async () => {
    const stop = new AbortController();
    stop.abort();
    const written: string[] = [];
    const result = await replay(EVENTS, { write: (d) => written.push(d), sleep: async () => undefined, signal: stop.signal });
    expect(written).toEqual([]);
    expect(result.interrupted).toBe(true);
  });

  test('a sleep that fails for another reason fails the replay', async () => {
    await expect(replay(EVENTS, { write: () => undefined, sleep: () => Promise.reject(new Error('timer broke')) })).rejects.toThrow('timer broke');
  });

  test.each([[0], [-1], [Number.NaN], [Infinity]])('refuses speed %p', (speed) => {
    expect(() => replaySteps(EVENTS, { speed })).toThrow(RangeError);
  });

  test('plays back what the recorder wrote, byte for byte after decoding', async () => {
    let now = 0;
    let cast = '';
    const writer = createAsciicastWriter({ width: 80, height: 24, command: 'sh', clock: () => now, startedAt: 0, write: (l) => (cast += l) });
    const chunks = ['héllo ', 'wörld\r\n', '\x1b[1mbold\x1b[0m\r\n'];
    for (const chunk of chunks) {
      now += 40;
      writer.output(Buffer.from(chunk));
    }
    writer.close();
    let screen = '';
    const time = virtualTime();
    await replay(parseAsciicast(cast).events, { write: (d) => (screen += d), sleep: time.sleep });
    expect(screen).toBe(chunks.join(''));
    expect(time.waits).toEqual([40, 40, 40]);
  });
});
