import { createAsciicastWriter, parseAsciicast, TRUNCATED_MARKER, AsciicastError } from '../../../src/audit/asciicast.js';

function recorder(opts: { recordInput?: boolean; maxBytes?: number } = {}) {
  let now = 1000;
  let text = '';
  const writer = createAsciicastWriter({
    width: 80, height: 24, command: 'kubectl exec -it web -- sh', title: 'web', env: { TERM: 'xterm-256color' },
    startedAt: Date.UTC(2026, 0, 1, 12), clock: () => now, write: (line) => (text += line), ...opts,
  });
  return { writer, advance: (ms: number) => (now += ms), set: (ms: number) => (now = ms), text: () => text };
}

describe('asciicast v2', () => {
  test('round trip: header, output, resize, and the lines asciinema expects', () => {
    const r = recorder();
    r.advance(250);
    r.writer.output(Buffer.from('$ ls\r\n'));
    r.advance(1500.5);
    r.writer.resize(120, 40);
    r.writer.output('err\n', 'stderr');
    r.writer.input('ls\r');
    r.writer.close();
    const lines = r.text().split('\n');
    expect(lines[0]).toBe('{"version":2,"width":80,"height":24,"timestamp":1767268800,"command":"kubectl exec -it web -- sh","title":"web","env":{"TERM":"xterm-256color"}}');
    expect(lines[1]).toBe('[0.25,"o","$ ls\\r\\n"]');
    expect(parseAsciicast(r.text())).toEqual({
      header: { version: 2, width: 80, height: 24, timestamp: 1767268800, command: 'kubectl exec -it web -- sh', title: 'web', env: { TERM: 'xterm-256color' } },
      events: [[0.25, 'o', '$ ls\r\n'], [1.7505, 'r', '120x40'], [1.7505, 'o', 'err\n']],
    });
    expect(r.writer.bytes).toBe(Buffer.byteLength(r.text()));
  });

  test('stdin is recorded only when enabled', () => {
    const r = recorder({ recordInput: true });
    r.advance(10);
    r.writer.input(Buffer.from('secret-ish typing\r'));
    expect(parseAsciicast(r.text()).events).toEqual([[0.01, 'i', 'secret-ish typing\r']]);
  });

  test('a character split across chunks is joined; invalid bytes become U+FFFD; streams decode apart', () => {
    const r = recorder();
    const euro = Buffer.from('€', 'utf8');
    r.writer.output(euro.subarray(0, 2));
    r.writer.output(Buffer.from([0xff, 0x41]), 'stderr');
    r.writer.output(euro.subarray(2));
    r.writer.output(Buffer.from([0xe2, 0x82]));
    r.writer.close();
    expect(parseAsciicast(r.text()).events.map((e) => e[2])).toEqual(['\uFFFDA', '€', '\uFFFD']);
  });

  test('ASCII chunks around split and invalid characters decode as one stream would, and the byte count stays exact', () => {
    const chunks = [Buffer.from('plain '), Buffer.from('caf\xc3', 'latin1'), Buffer.from('\xa9 ok ', 'latin1'), Buffer.from([0xe2]), Buffer.from('AB'), Buffer.from('\u00e9\n'), Buffer.from('tail\n')];
    const r = recorder();
    for (const chunk of chunks) r.writer.output(chunk);
    r.writer.close();
    const whole = new TextDecoder().decode(Buffer.concat(chunks));
    expect(parseAsciicast(r.text()).events.map((e) => e[2]).join('')).toBe(whole);
    expect(whole).toBe('plain café ok \uFFFDABé\ntail\n');
    expect(r.writer.bytes).toBe(Buffer.byteLength(r.text()));
  });

  test('time is in seconds from the start and never goes backwards', () => {
    const r = recorder();
    r.advance(2000);
    r.writer.output('a');
    r.set(500);
    r.writer.output('b');
    expect(parseAsciicast(r.text()).events.map((e) => e[0])).toEqual([2, 2]);
  });

  test('past the size cap: a visible notice and a marker end the recording', () => {
    const r = recorder({ maxBytes: 2000 });
    for (let i = 0; i < 100; i += 1) {
      r.advance(10);
      r.writer.output('x'.repeat(50));
    }
    expect(r.writer.truncated).toBe(true);
    expect(r.writer.bytes).toBeLessThanOrEqual(2000);
    const { events } = parseAsciicast(r.text());
    expect(events.at(-1)).toEqual([expect.any(Number), 'm', TRUNCATED_MARKER]);
    expect(events.at(-2)?.[2]).toMatch(/kgate: recording truncated at \d+ bytes/);
    expect(events.filter((e) => e[1] === 'o').length).toBeLessThan(100);
  });

  test('the parser rejects what is not asciicast v2, naming the line', () => {
    expect(() => parseAsciicast('{"version":1,"width":80,"height":24}\n')).toThrow(AsciicastError);
    expect(() => parseAsciicast('{"version":2,"width":80,"height":24}\n[1,"x","a"]\n')).toThrow('asciicast line 2: unknown event code "x"');
    expect(() => parseAsciicast('{"version":2,"width":80,"height":24}\n[2,"o","a"]\n[1,"o","b"]\n')).toThrow('line 3');
    expect(() => parseAsciicast('{"version":2,"width":80,"height":24}\n[1,"r","big"]\n')).toThrow('"WxH"');
    expect(() => parseAsciicast('nope')).toThrow('asciicast line 1: not JSON');
  });
});
