import { CHANNEL_PROTOCOLS, closedChannel, decodeFrame, encodeFrame, negotiateChannelProtocol, offeredProtocols, parseTerminalSize } from '../../../../sim/kube/pods/channel-protocol.js';

const byName = (name: string) => CHANNEL_PROTOCOLS.find((p) => p.name === name)!;

describe('negotiateChannelProtocol', () => {
  it.each([
    [['v5.channel.k8s.io', 'v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io'], 'v5.channel.k8s.io'],
    [['channel.k8s.io', 'v4.channel.k8s.io'], 'v4.channel.k8s.io'],
    [['base64.channel.k8s.io', 'v4.base64.channel.k8s.io'], 'v4.base64.channel.k8s.io'],
    [['v3.channel.k8s.io', 'channel.k8s.io'], 'channel.k8s.io'],
    [['base64.channel.k8s.io'], 'base64.channel.k8s.io'],
    [[], ''],
  ])('offered %j → %s', (offered, chosen) => {
    expect(negotiateChannelProtocol(offered)?.name).toBe(chosen);
  });

  it('refuses SPDY-only stream versions and unknown protocols', () => {
    expect(negotiateChannelProtocol(['v3.channel.k8s.io', 'v2.channel.k8s.io'])).toBeUndefined();
    expect(negotiateChannelProtocol(['SPDY/3.1+portforward.k8s.io'])).toBeUndefined();
  });

  it('splits the header', () => {
    expect(offeredProtocols('v5.channel.k8s.io, v4.channel.k8s.io')).toEqual(['v5.channel.k8s.io', 'v4.channel.k8s.io']);
    expect(offeredProtocols(undefined)).toEqual([]);
  });
});

describe('frames', () => {
  it('binary protocols prefix the channel byte', () => {
    for (const name of ['v5.channel.k8s.io', 'v4.channel.k8s.io', 'channel.k8s.io']) {
      const frame = encodeFrame(byName(name), 2, Buffer.from('oops'));
      expect(frame).toEqual(Buffer.from([2, ...Buffer.from('oops')]));
      expect(decodeFrame(byName(name), frame as Buffer)).toEqual({ channel: 2, payload: Buffer.from('oops') });
    }
  });

  it('the readiness frame is a lone channel byte', () => {
    expect(encodeFrame(byName('v5.channel.k8s.io'), 1, Buffer.alloc(0))).toEqual(Buffer.from([1]));
    expect(encodeFrame(byName('v4.base64.channel.k8s.io'), 1, Buffer.alloc(0))).toBe('1');
  });

  it('base64 protocols use an ASCII digit and base64 text', () => {
    for (const name of ['v4.base64.channel.k8s.io', 'base64.channel.k8s.io']) {
      expect(encodeFrame(byName(name), 1, Buffer.from('hello\n'))).toBe('1aGVsbG8K');
      expect(decodeFrame(byName(name), Buffer.from('0aGk='))).toEqual({ channel: 0, payload: Buffer.from('hi') });
      expect(decodeFrame(byName(name), Buffer.from('0not base64!'))).toBeUndefined();
      expect(decodeFrame(byName(name), Buffer.from('x'))).toBeUndefined();
    }
  });

  it('empty messages decode to nothing', () => {
    expect(decodeFrame(byName('v5.channel.k8s.io'), Buffer.alloc(0))).toBeUndefined();
  });

  it('only v5 understands the [255, channel] half-close', () => {
    const frame = decodeFrame(byName('v5.channel.k8s.io'), Buffer.from([255, 0]))!;
    expect(closedChannel(byName('v5.channel.k8s.io'), frame)).toBe(0);
    expect(closedChannel(byName('v4.channel.k8s.io'), frame)).toBeUndefined();
    expect(closedChannel(byName('v5.channel.k8s.io'), { channel: 255, payload: Buffer.from([0, 1]) })).toBeUndefined();
  });

  it('parses client-go resize messages', () => {
    expect(parseTerminalSize(Buffer.from('{"Width":120,"Height":40}\n'))).toEqual({ width: 120, height: 40 });
    expect(parseTerminalSize(Buffer.from('{"width":120,"height":40}'))).toBeUndefined();
    expect(parseTerminalSize(Buffer.from('{"Width":-1,"Height":40}'))).toBeUndefined();
    expect(parseTerminalSize(Buffer.from('nope'))).toBeUndefined();
  });
});
