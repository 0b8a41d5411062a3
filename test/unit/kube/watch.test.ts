import { WatchEventSplitter } from '../../../src/kube/watch.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const strings = (events: Uint8Array[]) => events.map((e) => decoder.decode(e));

function feed(splitter: WatchEventSplitter, chunks: Uint8Array[]): string[] {
  const out: string[] = [];
  for (const chunk of chunks) {
    const result = splitter.push(chunk);
    if (!result.ok) throw new Error(JSON.stringify(result.error));
    out.push(...strings(result.events));
  }
  return out;
}

// Events as the apiserver writes them with json.Encoder: one object, then "\n".
const events = [
  { type: 'ADDED', object: { kind: 'Secret', apiVersion: 'v1', metadata: { name: 'a', annotations: { note: 'braces } { and "quotes" and \\ and ] [' } }, data: { k: 'dg==' } } },
  { type: 'MODIFIED', object: { kind: 'Table', apiVersion: 'meta.k8s.io/v1', rows: [{ cells: ['a', '1/1', 'é ✓ 🙂'] }] } },
  { type: 'BOOKMARK', object: { kind: 'Pod', apiVersion: 'v1', metadata: { resourceVersion: '12', annotations: { 'k8s.io/initial-events-end': 'true' } } } },
  { type: 'DELETED', object: { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'line\nbreak' } } },
];
const stream = encoder.encode(events.map((e) => JSON.stringify(e) + '\n').join(''));
const expected = events.map((e) => JSON.stringify(e));

describe('WatchEventSplitter', () => {
  test('one chunk with all events', () => {
    const splitter = new WatchEventSplitter();
    expect(feed(splitter, [stream])).toEqual(expected);
    expect(splitter.end()).toEqual({ ok: true });
  });

  test('every split point of the stream, including inside multi-byte characters and escapes', () => {
    for (let cut = 1; cut < stream.length; cut++) {
      const splitter = new WatchEventSplitter();
      expect(feed(splitter, [stream.subarray(0, cut), stream.subarray(cut)])).toEqual(expected);
      expect(splitter.end()).toEqual({ ok: true });
    }
  });

  test('one byte at a time', () => {
    const splitter = new WatchEventSplitter();
    expect(feed(splitter, Array.from(stream, (b) => new Uint8Array([b])))).toEqual(expected);
  });

  test('pretty-printed and unterminated events are framed too', () => {
    const pretty = JSON.stringify(events[0], null, 2) + '\n' + JSON.stringify(events[1], null, 2);
    const splitter = new WatchEventSplitter();
    expect(feed(splitter, [encoder.encode(pretty)]).map((e) => JSON.parse(e))).toEqual([events[0], events[1]]);
  });

  test('events survive the caller reusing its chunk buffer', () => {
    const splitter = new WatchEventSplitter();
    const buffer = stream.slice(0, 40);
    const first = splitter.push(buffer);
    buffer.fill(0x20);
    const rest = splitter.push(stream.subarray(40));
    expect(first.ok && rest.ok && strings([...first.events, ...rest.events])).toEqual(expected);
  });

  test('an event longer than the limit is a typed overflow, in one chunk or across many', () => {
    const big = encoder.encode(JSON.stringify({ type: 'ADDED', object: { data: 'x'.repeat(1000) } }) + '\n');
    expect(new WatchEventSplitter({ maxEventBytes: 500 }).push(big)).toEqual({ ok: false, error: { kind: 'overflow', limit: 500 } });
    const splitter = new WatchEventSplitter({ maxEventBytes: 500 });
    const results = Array.from({ length: 10 }, (_, i) => splitter.push(big.subarray(i * 100, (i + 1) * 100)));
    expect(results.find((r) => !r.ok)).toEqual({ ok: false, error: { kind: 'overflow', limit: 500 } });
    expect(splitter.push(encoder.encode('{}'))).toEqual({ ok: false, error: { kind: 'overflow', limit: 500 } });
    expect(splitter.end()).toMatchObject({ ok: false });
  });

  test('events at the limit pass', () => {
    const event = encoder.encode('{"type":"ADDED"}');
    expect(new WatchEventSplitter({ maxEventBytes: event.length }).push(event)).toEqual({ ok: true, events: [event] });
  });

  test('garbage between events and a cut-off stream are typed errors', () => {
    expect(new WatchEventSplitter().push(encoder.encode('{"a":1}\nnot json'))).toEqual({ ok: false, error: { kind: 'malformed', message: 'a watch event must be a JSON object' } });
    const splitter = new WatchEventSplitter();
    expect(feed(splitter, [encoder.encode('{"type":"ADDED","object":{"kind":')])).toEqual([]);
    expect(splitter.end()).toEqual({ ok: false, error: { kind: 'truncated' } });
  });
});
