/**
 * The farewell frames of a stream kgate ends, read back with the independent decoders a client
 * would use: the sim's channel protocol (its own code, not a copy of src/kube), client-go's rules
 * for the error channel (parseExitStatus), the port-forward channel classifier, and JSON.
 */
import { PortForwardChannels } from '../../../src/broker/exec/port-forward-frames.js';
import { CHANNEL_PROTOCOLS, parseExitStatus, sendsStatusJson, type ChannelProtocol } from '../../../src/kube/channels.js';
import { endedRequestStatus, execEndFrame, logEndLine, portForwardEndFrames, streamEndMessage, streamEndStatus, watchEndEvent } from '../../../src/kube/stream-end.js';
import { grantEndReason } from '../../../src/policy/render.js';
import { CHANNEL_PROTOCOLS as SIM_PROTOCOLS, decodeFrame as simDecode } from '../../sim/kube/pods/channel-protocol.js';

const WHY = 'grant g-1 expired';
const MESSAGE = 'kgate: grant g-1 expired; stream closed';

describe('streamEndMessage', () => {
  test('says kgate, why, and that the stream closed', () => {
    expect(streamEndMessage(WHY)).toBe(MESSAGE);
    expect(streamEndMessage('')).toBe('kgate: access ended; stream closed');
  });

  test('a reason cannot add lines or run on: control characters become spaces, length is bounded', () => {
    const message = streamEndMessage('grant g-1 was revoked (Revoked by eve: x\nkgate: fake line\r\u2028\u0007)');
    expect(message).toBe('kgate: grant g-1 was revoked (Revoked by eve: x kgate: fake line ); stream closed');
    expect([...message].filter((c) => c.charCodeAt(0) < 0x20 || c === '\u2028')).toEqual([]);
    expect(streamEndMessage('x'.repeat(5000)).length).toBeLessThan(340);
  });
});

describe('exec and attach: the error channel', () => {
  const sim = (name: ChannelProtocol) => SIM_PROTOCOLS.find((p) => p.name === name)!;

  test.each(CHANNEL_PROTOCOLS)('%s: a frame on channel 3 the client decodes, with the reason', (protocol) => {
    const frame = execEndFrame(protocol, WHY);
    expect(frame.isBinary).toBe(!sim(protocol).base64);
    const decoded = simDecode(sim(protocol), Buffer.isBuffer(frame.data) || frame.data instanceof Uint8Array ? Buffer.from(frame.data) : Buffer.from(frame.data, 'latin1'))!;
    expect(decoded.channel).toBe(3);
    const text = decoded.payload.toString('utf8');
    if (sim(protocol).jsonStatus) {
      // client-go's errorDecoderV4: a Failure that is not NonZeroExitCode → its message is the error kubectl prints.
      expect(JSON.parse(text)).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Forbidden', code: 403, message: MESSAGE });
      expect(parseExitStatus(text)).toEqual({ ok: true, exitCode: 1, message: MESSAGE });
    } else {
      expect(text).toBe(MESSAGE);
    }
  });

  test('which protocols carry a Status agrees with the sim kubelet', () => {
    for (const protocol of CHANNEL_PROTOCOLS) expect([protocol, sendsStatusJson(protocol)]).toEqual([protocol, sim(protocol).jsonStatus]);
  });
});

describe('watch: a final ERROR event', () => {
  test('one newline-terminated JSON line whose object is a Failure Status', () => {
    const event = watchEndEvent(WHY);
    expect(event.endsWith('\n')).toBe(true);
    expect(event.slice(0, -1)).not.toContain('\n');
    expect(JSON.parse(event)).toEqual({
      type: 'ERROR',
      object: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: MESSAGE, reason: 'Forbidden', code: 403 },
    });
    expect(JSON.parse(streamEndStatus(WHY))).toEqual(JSON.parse(event).object);
  });

  test('Go escaping: a reason with <, > or & reads the same once decoded', () => {
    const event = watchEndEvent('grant g-1 was revoked (<b>&</b>)');
    expect(event).not.toMatch(/[<>&]/);
    expect((JSON.parse(event) as { object: { message: string } }).object.message).toBe('kgate: grant g-1 was revoked (<b>&</b>); stream closed');
  });
});

describe('logs: a last line', () => {
  test('on a line of its own, whether or not the log ended with a newline', () => {
    expect(logEndLine(WHY, true)).toBe(`${MESSAGE}\n`);
    expect(logEndLine(WHY, false)).toBe(`\n${MESSAGE}\n`);
  });
});

describe('port-forward: each port\'s error channel', () => {
  test('binary: one message per port on channel 2i+1, led by the port where the apiserver had not sent it yet', () => {
    const sent = new Map([[1, 2], [3, 0]]);
    const frames = portForwardEndFrames({ base64: false, ports: [8080, 443], prefixSent: (c) => sent.get(c) ?? 0 }, WHY);
    expect(frames.map((f) => f.isBinary)).toEqual([true, true]);
    const bytes = frames.map((f) => Buffer.from(f.data as Uint8Array));
    expect(bytes[0]![0]).toBe(1);
    expect(bytes[0]!.subarray(1).toString()).toBe(MESSAGE);
    expect(bytes[1]![0]).toBe(3);
    expect(bytes[1]!.readUInt16LE(1)).toBe(443);
    expect(bytes[1]!.subarray(3).toString()).toBe(MESSAGE);
  });

  test('a client reading the session from the start sees the text as port errors (the relay\'s own classifier)', () => {
    const channels = new PortForwardChannels('v4.channel.k8s.io', [8080, 9090]);
    const frames = portForwardEndFrames({ base64: false, ports: [8080, 9090], prefixSent: () => 0 }, WHY);
    expect(frames.map((f) => channels.fromUpstream(Buffer.from(f.data as Uint8Array), true))).toEqual([
      { kind: 'error', port: 8080, text: MESSAGE },
      { kind: 'error', port: 9090, text: MESSAGE },
    ]);
  });

  test('base64: text frames; ports past channel 9 have no error channel to write', () => {
    const ports = [1, 2, 3, 4, 5, 6];
    const frames = portForwardEndFrames({ base64: true, ports, prefixSent: () => 2 }, WHY);
    expect(frames).toHaveLength(5);
    expect(frames.map((f) => [f.isBinary, (f.data as string)[0]])).toEqual([[false, '1'], [false, '3'], [false, '5'], [false, '7'], [false, '9']]);
    expect(Buffer.from((frames[0]!.data as string).slice(1), 'base64').toString()).toBe(MESSAGE);
  });
});

test('a request ended before its response started gets a 403 Status worded for a request', () => {
  const status = endedRequestStatus(WHY);
  expect(status.code).toBe(403);
  expect(JSON.parse(status.body)).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Forbidden', message: 'kgate: grant g-1 expired; request ended' });
});

test('grantEndReason: the one wording of why a grant\'s access ended', () => {
  expect(grantEndReason({ id: 'g-1', state: 'expired' })).toBe('grant g-1 expired');
  expect(grantEndReason({ id: 'g-1', state: 'revoked', message: 'Revoked by ci-deployer: done' })).toBe('grant g-1 was revoked (Revoked by ci-deployer: done)');
  expect(grantEndReason({ id: 'g-1', state: 'revoked' })).toBe('grant g-1 was revoked');
  expect(grantEndReason({ id: 'g-1', state: 'denied' })).toBe('grant g-1 ended (denied)');
});
