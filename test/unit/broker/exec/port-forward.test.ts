import { decodePortForwardFrame, negotiatePortForwardProtocol, PortForwardChannels } from '../../../../src/broker/exec/port-forward-frames.js';
import { parsePortForwardTarget, parsePorts } from '../../../../src/broker/exec/port-forward-target.js';
import { unrecordableStreamRefusal } from '../../../../src/broker/exec/spdy.js';

const bin = (channel: number, text: string | Buffer) => Buffer.concat([Buffer.of(channel), Buffer.isBuffer(text) ? text : Buffer.from(text)]);
const b64 = (channel: number, payload: Buffer) => Buffer.from(`${channel}${payload.toString('base64')}`);
const le = (port: number) => Buffer.from([port & 0xff, port >> 8]);

describe('parsePorts and parsePortForwardTarget', () => {
  it.each([
    [['8080'], [8080]],
    [['80', '443'], [80, 443]],
    [['80,443', '5432'], [80, 443, 5432]],
    [['1', '65535'], [1, 65535]],
  ])('reads %j as %j', (values, ports) => {
    expect(parsePorts(values)).toEqual({ ok: true, ports });
  });

  it.each([[[]], [['0']], [['65536']], [['80,']], [['-1']], [['http']], [['8080x']]])('refuses %j', (values) => {
    expect(parsePorts(values)).toMatchObject({ ok: false });
  });

  it('reads the pod and the ports of a canonical URL, and ignores other paths', () => {
    expect(parsePortForwardTarget('/api/v1/namespaces/prod/pods/web-1/portforward?ports=80&ports=9090,9091')).toEqual({ ok: true, target: { namespace: 'prod', pod: 'web-1', ports: [80, 9090, 9091] } });
    expect(parsePortForwardTarget('/api/v1/namespaces/prod/pods/web/portforward')).toEqual({ ok: false, reason: 'at least one port must be specified' });
    expect(parsePortForwardTarget('/api/v1/namespaces/prod/pods/web/exec?ports=80')).toBeUndefined();
  });
});

describe('negotiatePortForwardProtocol', () => {
  it.each([
    [[], 'channel.k8s.io', ''],
    [['v5.channel.k8s.io', 'v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io'], 'v4.channel.k8s.io', 'v4.channel.k8s.io'],
    [['v4.base64.channel.k8s.io', 'v4.channel.k8s.io'], 'v4.base64.channel.k8s.io', 'v4.base64.channel.k8s.io'],
  ])('picks from %j the kubelet\'s choice', (offered, protocol, header) => {
    expect(negotiatePortForwardProtocol(offered)).toEqual({ ok: true, protocol, header });
  });

  it('refuses offers it cannot frame, SPDY tunnel included', () => {
    expect(negotiatePortForwardProtocol(['v5.channel.k8s.io', 'SPDY/3.1+portforward.k8s.io'])).toMatchObject({ ok: false, reason: expect.stringContaining('[v5.channel.k8s.io SPDY/3.1+portforward.k8s.io]') });
    expect(negotiatePortForwardProtocol(['channel.k8s.io'])).toMatchObject({ ok: false });
  });
});

describe('decodePortForwardFrame', () => {
  it('decodes binary channels beyond exec\'s, and base64 text frames', () => {
    expect(decodePortForwardFrame('v4.channel.k8s.io', bin(7, 'x'), true)).toEqual({ ok: true, frame: { channel: 7, payload: Buffer.from('x') } });
    expect(decodePortForwardFrame('v4.base64.channel.k8s.io', b64(2, Buffer.from('hi')), false)).toEqual({ ok: true, frame: { channel: 2, payload: Buffer.from('hi') } });
    expect(decodePortForwardFrame('channel.k8s.io', [Buffer.of(0), Buffer.from('ab')], true)).toEqual({ ok: true, frame: { channel: 0, payload: Buffer.from('ab') } });
  });

  it.each([
    ['v4.channel.k8s.io', Buffer.alloc(0), true, 'an empty message has no channel'],
    ['v4.channel.k8s.io', bin(0, 'x'), false, 'must be binary messages'],
    ['v4.base64.channel.k8s.io', b64(0, Buffer.from('x')), true, 'must be text messages'],
    ['v4.base64.channel.k8s.io', Buffer.from('Aabc='), false, 'channel digit'],
    ['v4.base64.channel.k8s.io', Buffer.from('0ab$'), false, 'not valid base64'],
  ] as const)('refuses %s message %j (binary %s)', (protocol, data, isBinary, reason) => {
    expect(decodePortForwardFrame(protocol, data, isBinary)).toEqual({ ok: false, reason: expect.stringContaining(reason) });
  });
});

describe('PortForwardChannels', () => {
  it('counts apiserver data without the 2-byte port prefix, however the prefix is split', () => {
    const channels = new PortForwardChannels('v4.channel.k8s.io', [8080, 5432]);
    expect(channels.fromUpstream(bin(0, le(8080)), true)).toEqual({ kind: 'forward', port: 8080, bytes: 0 });
    expect(channels.fromUpstream(bin(0, 'hello'), true)).toEqual({ kind: 'forward', port: 8080, bytes: 5 });
    expect(channels.fromUpstream(bin(2, le(5432).subarray(0, 1)), true)).toEqual({ kind: 'forward', port: 5432, bytes: 0 });
    expect(channels.fromUpstream(bin(2, Buffer.concat([le(5432).subarray(1), Buffer.from('pg')])), true)).toEqual({ kind: 'forward', port: 5432, bytes: 2 });
    expect(channels.fromUpstream(bin(2, le(5432)), true)).toEqual({ kind: 'forward', port: 5432, bytes: 2 });
  });

  it('reads error-channel text after the prefix and never counts it as data', () => {
    const channels = new PortForwardChannels('v4.channel.k8s.io', [8080]);
    expect(channels.fromUpstream(bin(1, le(8080)), true)).toEqual({ kind: 'forward', port: 8080, bytes: 0 });
    expect(channels.fromUpstream(bin(1, 'connection refused'), true)).toEqual({ kind: 'error', port: 8080, text: 'connection refused' });
    const joined = new PortForwardChannels('v4.channel.k8s.io', [8080]);
    expect(joined.fromUpstream(bin(1, Buffer.concat([le(8080), Buffer.from('refused')])), true)).toEqual({ kind: 'error', port: 8080, text: 'refused' });
  });

  it('lets the client write only data channels of requested ports, and counts every byte (no prefix upstream)', () => {
    const channels = new PortForwardChannels('v4.base64.channel.k8s.io', [80, 443]);
    expect(channels.fromClient(b64(2, Buffer.from('tls')), false)).toEqual({ kind: 'forward', port: 443, bytes: 3 });
    expect(channels.fromClient(b64(0, Buffer.from('GET')), false)).toEqual({ kind: 'forward', port: 80, bytes: 3 });
    expect(channels.fromClient(b64(1, Buffer.from('x')), false)).toEqual({ kind: 'drop', reason: 'a client may not write the error channel of port 80' });
    expect(channels.fromClient(b64(4, Buffer.from('x')), false)).toEqual({ kind: 'drop', reason: 'channel 4 belongs to no requested port' });
    expect(channels.fromUpstream(b64(5, Buffer.from('x')), false)).toEqual({ kind: 'drop', reason: 'channel 5 belongs to no requested port' });
  });
});

describe('unrecordableStreamRefusal for port-forward', () => {
  const pf = { subresource: 'portforward', pod: 'web' };
  const ws = (protocol?: string) => ({ headers: { upgrade: 'websocket', ...(protocol ? { 'sec-websocket-protocol': protocol } : {}) } });
  const message = (req: { headers: Record<string, string> }) => (JSON.parse(unrecordableStreamRefusal(req, pf)!.body) as { message: string }).message;

  it('lets the WebSocket channel protocol through, offered or implied', () => {
    expect(unrecordableStreamRefusal(ws('v5.channel.k8s.io, v4.channel.k8s.io'), pf)).toBeUndefined();
    expect(unrecordableStreamRefusal(ws('v4.base64.channel.k8s.io'), pf)).toBeUndefined();
    expect(unrecordableStreamRefusal(ws(), pf)).toBeUndefined();
  });

  it('refuses SPDY, the SPDY tunnel and other subprotocols, naming what was asked and what kubectl users get', () => {
    expect(message({ headers: { connection: 'Upgrade', upgrade: 'SPDY/3.1', 'x-stream-protocol-version': 'portforward.k8s.io' } })).toContain('asked for SPDY;');
    expect(message(ws('SPDY/3.1+portforward.k8s.io'))).toContain('asked for the SPDY-over-WebSocket tunnel (SPDY/3.1+portforward.k8s.io);');
    expect(message(ws('v4.channel.k8s.io, SPDY/3.1+portforward.k8s.io'))).toContain('tunnel');
    expect(message(ws('v5.channel.k8s.io'))).toContain('asked for WebSocket with [v5.channel.k8s.io];');
    expect(message(ws('v5.channel.k8s.io'))).toContain('kubectl port-forward speaks only SPDY (tunnelled or not) and does not work through kgate');
  });
});
