import { createOutputBatch } from '../../../../src/broker/exec/output-batch.js';
import { createOutputMasker } from '../../../../src/broker/exec/output-masker.js';
import { compileDetectors, DETECTOR_NAMES } from '../../../../src/mask/index.js';

const bytes = (text: string) => new Uint8Array(Buffer.from(text, 'latin1'));
const text = (data: Uint8Array) => Buffer.from(data).toString('latin1');
const TOKEN = `ghp_${'a1B2'.repeat(9)}`;

/** A batch whose end-of-turn flushes run when the test says so, recording what it emits. */
function manualBatch(maxBytes: number) {
  const turns: (() => void)[] = [];
  const emitted: [number, string][] = [];
  const batch = createOutputBatch({ maxBytes, emit: (channel, payload) => emitted.push([channel, text(payload)]), schedule: (flush) => turns.push(flush) });
  const endTurn = () => {
    for (const flush of turns.splice(0)) flush();
  };
  return { batch, emitted, endTurn, turns };
}

describe('createOutputBatch', () => {
  it('joins frames of one channel that arrive in one turn, and sends them at its end', () => {
    const { batch, emitted, endTurn, turns } = manualBatch(64);
    batch.add(1, bytes('one '));
    batch.add(1, bytes('two '));
    batch.add(1, bytes('three'));
    expect(emitted).toEqual([]);
    expect(turns).toHaveLength(1);
    endTurn();
    expect(emitted).toEqual([[1, 'one two three']]);
  });

  it('joins a batch right behind its channel byte, so the relay can send it as a frame without a copy', () => {
    const payloads: Uint8Array[] = [];
    const batch = createOutputBatch({ maxBytes: 64, emit: (_channel, payload) => payloads.push(payload), schedule: () => undefined });
    batch.add(2, bytes('err '));
    batch.add(2, bytes('more'));
    batch.flush();
    const [joined] = payloads;
    expect(text(joined!)).toBe('err more');
    expect(Buffer.from(joined!.buffer, joined!.byteOffset - 1, joined!.length + 1)).toEqual(Buffer.from('\x02err more', 'latin1'));
  });

  it('keeps the order of stdout and stderr exactly: a channel change ends the batch', () => {
    const { batch, emitted, endTurn } = manualBatch(64);
    batch.add(1, bytes('a'));
    batch.add(1, bytes('b'));
    batch.add(2, bytes('E'));
    batch.add(1, bytes('c'));
    endTurn();
    expect(emitted).toEqual([
      [1, 'ab'],
      [2, 'E'],
      [1, 'c'],
    ]);
  });

  it('never grows past its cap, and sends a full batch at once', () => {
    const { batch, emitted, endTurn } = manualBatch(8);
    batch.add(1, bytes('12345'));
    batch.add(1, bytes('6789'));
    expect(emitted).toEqual([[1, '12345']]);
    batch.add(1, bytes('abcd'));
    expect(emitted).toEqual([
      [1, '12345'],
      [1, '6789abcd'],
    ]);
    batch.add(1, bytes('0123456789'));
    expect(emitted.at(-1)).toEqual([1, '0123456789']);
    endTurn();
    expect(emitted).toHaveLength(3);
  });

  it('flushes on demand (before a status or close), and the end of the turn then finds nothing', () => {
    const { batch, emitted, endTurn } = manualBatch(64);
    batch.add(2, bytes('last words'));
    batch.flush();
    batch.flush();
    expect(emitted).toEqual([[2, 'last words']]);
    endTurn();
    expect(emitted).toHaveLength(1);
    batch.add(1, new Uint8Array(0));
    endTurn();
    expect(emitted).toHaveLength(1);
  });

  it('passes a single frame on without copying it', () => {
    const frame = bytes('alone');
    const seen: Uint8Array[] = [];
    const batch = createOutputBatch({ maxBytes: 64, emit: (_channel, payload) => seen.push(payload), schedule: () => undefined });
    batch.add(1, frame);
    batch.flush();
    expect(seen[0]).toBe(frame);
  });

  it('in front of the masker: a secret split inside a batch, across batches and next to the other channel is masked', () => {
    const masker = createOutputMasker(compileDetectors(DETECTOR_NAMES));
    const released: [number, string][] = [];
    const turns: (() => void)[] = [];
    const batch = createOutputBatch({
      maxBytes: 32,
      emit: (channel, payload) => released.push([channel, text(masker.write(channel, payload))]),
      schedule: (flush) => turns.push(flush),
    });
    const endTurn = () => {
      for (const flush of turns.splice(0)) flush();
    };
    // Split inside one batch, then across the cap, then across a turn, with stderr in between.
    batch.add(1, bytes(`out ${TOKEN.slice(0, 6)}`));
    batch.add(1, bytes(TOKEN.slice(6, 20)));
    batch.add(1, bytes(TOKEN.slice(20)));
    batch.add(2, bytes(`err ${TOKEN.slice(0, 12)}`));
    endTurn();
    batch.add(2, bytes(`${TOKEN.slice(12)} end\n`));
    batch.add(1, bytes(` ${TOKEN} done\n`));
    endTurn();
    const ended = masker.endAll().map(({ channel, payload }): [number, string] => [channel, text(payload)]);
    const stream = (channel: number) => [...released, ...ended].filter(([c]) => c === channel).map(([, t]) => t).join('');
    expect(stream(1)).toBe('out ***MASKED:github-token*** ***MASKED:github-token*** done\n');
    expect(stream(2)).toBe('err ***MASKED:github-token*** end\n');
    expect(masker.maskedCount).toBe(3);
    expect(released.map(([c]) => c)).toEqual([1, 1, 2, 2, 1]);
  });
});
