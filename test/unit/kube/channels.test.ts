import {
  CHANNEL_CLOSE, CHANNEL_ERROR, CHANNEL_PROTOCOLS, CHANNEL_RESIZE, CHANNEL_STDERR, CHANNEL_STDIN, CHANNEL_STDOUT,
  decodeFrame, encodeFrame, negotiateProtocol, parseExitStatus, parseResize, type ChannelProtocol,
} from '../../../src/kube/channels.js';
// The simulated kubelet's side of the protocol: frames it writes must decode here and vice versa.
import { CHANNEL_PROTOCOLS as SIM_PROTOCOLS, decodeFrame as simDecode, encodeFrame as simEncode } from '../../sim/kube/pods/channel-protocol.js';
import { internalErrorStatus, nonZeroExitStatus, successStatus } from '../../sim/kube/pods/exec-status.js';

const text = (s: string) => new TextEncoder().encode(s);
const simProtocol = (name: ChannelProtocol) => SIM_PROTOCOLS.find((p) => p.name === name)!;

test('channel numbers', () => {
  expect([CHANNEL_STDIN, CHANNEL_STDOUT, CHANNEL_STDERR, CHANNEL_ERROR, CHANNEL_RESIZE, CHANNEL_CLOSE]).toEqual([0, 1, 2, 3, 4, 255]);
});

describe('negotiateProtocol', () => {
  test('the first protocol the client offered that is supported wins (wsstream handshake)', () => {
    // kubectl ≥ 1.30 offers only v5; client-node offers v5 … channel.k8s.io.
    expect(negotiateProtocol(['v5.channel.k8s.io'])).toEqual({ ok: true, protocol: 'v5.channel.k8s.io', header: 'v5.channel.k8s.io' });
    expect(negotiateProtocol(['v5.channel.k8s.io', 'v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io'])).toMatchObject({ protocol: 'v5.channel.k8s.io' });
    expect(negotiateProtocol(['base64.channel.k8s.io', 'v5.channel.k8s.io'])).toMatchObject({ protocol: 'base64.channel.k8s.io' });
    expect(negotiateProtocol(['v5.channel.k8s.io', 'v4.channel.k8s.io'], ['v4.channel.k8s.io'])).toMatchObject({ protocol: 'v4.channel.k8s.io' });
  });

  test('no offer means the unnamed binary default; an unsupported offer is refused', () => {
    expect(negotiateProtocol([])).toEqual({ ok: true, protocol: 'channel.k8s.io', header: '' });
    expect(negotiateProtocol(['v3.channel.k8s.io', 'SPDY/3.1+portforward.k8s.io'])).toEqual({
      ok: false, reason: expect.stringContaining('requested protocol(s) are not supported: [v3.channel.k8s.io SPDY/3.1+portforward.k8s.io]'),
    });
    expect(negotiateProtocol([], ['v5.channel.k8s.io'])).toMatchObject({ ok: false });
  });
});

describe('frames in every protocol', () => {
  const payloads = [new Uint8Array(0), text('hello\n'), new Uint8Array([0, 255, 128, 10, 13]), new Uint8Array(70_000).map((_, i) => i % 251)];

  // Compared as bytes: jest's element-wise equality is slow on large arrays.
  const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
  function expectFrame(result: ReturnType<typeof decodeFrame>, channel: number, payload: Uint8Array): void {
    expect(result.ok && result.frame.channel).toBe(channel);
    expect(result.ok && same(result.frame.payload, payload)).toBe(true);
  }

  test.each(CHANNEL_PROTOCOLS.map((p) => [p]))('%s round-trips and interoperates with the simulated kubelet', (protocol) => {
    for (const channel of [CHANNEL_STDIN, CHANNEL_STDOUT, CHANNEL_STDERR, CHANNEL_ERROR, CHANNEL_RESIZE]) {
      for (const payload of payloads) {
        const encoded = encodeFrame(protocol, channel, payload);
        expect(encoded.isBinary).toBe(!protocol.includes('base64'));
        expectFrame(decodeFrame(protocol, encoded.data, encoded.isBinary), channel, payload);
        // What the kubelet writes decodes here, and what we write decodes there.
        const fromSim = simEncode(simProtocol(protocol), channel, payload);
        const asWs = typeof fromSim === 'string' ? fromSim : new Uint8Array(fromSim);
        expectFrame(decodeFrame(protocol, asWs, typeof fromSim !== 'string'), channel, payload);
        const data = typeof encoded.data === 'string' ? Buffer.from(encoded.data, 'latin1') : Buffer.from(encoded.data);
        const simFrame = simDecode(simProtocol(protocol), data);
        expect(simFrame?.channel).toBe(channel);
        expect(simFrame !== undefined && same(simFrame.payload, payload)).toBe(true);
      }
    }
  });

  test('binary wire format: one channel byte then the payload; base64: a digit then base64', () => {
    expect(encodeFrame('v5.channel.k8s.io', 1, text('hi'))).toEqual({ data: new Uint8Array([1, 0x68, 0x69]), isBinary: true });
    expect(encodeFrame('v4.base64.channel.k8s.io', 2, text('hi'))).toEqual({ data: '2aGk=', isBinary: false });
  });

  test('the v5 close frame is [255, channel] and only v5 knows it', () => {
    expect(decodeFrame('v5.channel.k8s.io', new Uint8Array([255, 0]), true)).toEqual({ ok: true, frame: { channel: 255, payload: new Uint8Array([0]) } });
    expect(decodeFrame('v5.channel.k8s.io', new Uint8Array([255]), true)).toMatchObject({ ok: false });
    expect(decodeFrame('v5.channel.k8s.io', new Uint8Array([255, 0, 1]), true)).toMatchObject({ ok: false });
    expect(decodeFrame('v4.channel.k8s.io', new Uint8Array([255, 0]), true)).toMatchObject({ ok: false, reason: expect.stringContaining('only in v5') });
  });

  test.each([
    ['v5.channel.k8s.io', 'abc', false, /binary messages/],
    ['v5.channel.k8s.io', new Uint8Array(0), true, /no channel/],
    ['v5.channel.k8s.io', new Uint8Array([9, 1]), true, /unknown channel 9/],
    ['v4.base64.channel.k8s.io', new Uint8Array([0x31]), true, /text messages/],
    ['base64.channel.k8s.io', '', false, /no channel/],
    ['base64.channel.k8s.io', 'x aGk=', false, /channel digit/],
    ['base64.channel.k8s.io', '1a', false, /not valid base64/],
    ['base64.channel.k8s.io', '1aGk=x', false, /not valid base64/],
    ['base64.channel.k8s.io', '7aGk=', false, /unknown channel 7/],
  ] as const)('%s refuses %j', (protocol, data, isBinary, reason) => {
    expect(decodeFrame(protocol, data, isBinary)).toEqual({ ok: false, reason: expect.stringMatching(reason) });
  });

  test('a channel the protocol cannot carry is a programming error', () => {
    expect(() => encodeFrame('base64.channel.k8s.io', 10, new Uint8Array())).toThrow(RangeError);
    expect(() => encodeFrame('v5.channel.k8s.io', 256, new Uint8Array())).toThrow(RangeError);
  });
});

describe('parseExitStatus', () => {
  test('the statuses the kubelet sends', () => {
    expect(parseExitStatus(JSON.stringify(successStatus()))).toEqual({ ok: true, exitCode: 0, message: '' });
    expect(parseExitStatus(text(JSON.stringify(nonZeroExitStatus(['sh', '-c', 'exit 3'], 3))))).toEqual({
      ok: true, exitCode: 3, message: 'command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3',
    });
    expect(parseExitStatus(JSON.stringify(internalErrorStatus('container not found')))).toEqual({ ok: true, exitCode: 1, message: 'Internal error occurred: container not found' });
  });

  test('the docs/k8s-protocol.md §5.3 example', () => {
    const status = '{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: …","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"2"}]}}';
    expect(parseExitStatus(status)).toMatchObject({ ok: true, exitCode: 2 });
  });

  test.each(['not json', '[]', '{"status":"Pending"}', '{"status":"Failure","reason":"NonZeroExitCode"}', '{"status":"Failure","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"x"}]}}'])('%j is refused', (status) => {
    expect(parseExitStatus(status)).toMatchObject({ ok: false });
  });
});

describe('parseResize', () => {
  test('client-go TerminalSize JSON, several per message, Go case-insensitive field names', () => {
    expect(parseResize('{"Width":80,"Height":24}\n')).toEqual({ ok: true, sizes: [{ width: 80, height: 24 }] });
    expect(parseResize(text('{"Width":80,"Height":24}\n{"width":120,"HEIGHT":40}\n'))).toEqual({ ok: true, sizes: [{ width: 80, height: 24 }, { width: 120, height: 40 }] });
  });

  test.each(['{"Width":-1,"Height":24}', '{"Width":70000,"Height":1}', '{"Width":"80"}', 'x', '[1]'])('%j is refused', (payload) => {
    expect(parseResize(payload)).toMatchObject({ ok: false });
  });
});
