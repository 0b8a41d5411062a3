import { clientFrameAction, closeToForward, exitFromStatus, exitWithoutStatus, upstreamFrameAction } from '../../../../src/broker/exec/frames.js';

const bin = (...bytes: number[]) => Buffer.from(bytes);
const frame = (channel: number, text: string) => Buffer.concat([bin(channel), Buffer.from(text)]);
const b64 = (channel: number, text: string) => Buffer.from(`${channel}${Buffer.from(text).toString('base64')}`);

describe('clientFrameAction', () => {
  it.each([
    ['stdin', frame(0, 'ls\n'), { kind: 'stdin', payload: new Uint8Array(Buffer.from('ls\n')) }],
    ['v5 half-close of stdin', bin(255, 0), { kind: 'close', channel: 0 }],
    ['resize with its sizes', frame(4, '{"Width":80,"Height":24}\n'), { kind: 'resize', payload: new Uint8Array(Buffer.from('{"Width":80,"Height":24}\n')), sizes: [{ width: 80, height: 24 }] }],
  ])('v5 %s', (_name, data, expected) => {
    expect(clientFrameAction('v5.channel.k8s.io', data, true)).toEqual(expected);
  });

  it.each([
    ['output channels from a client', frame(1, 'fake output')],
    ['a fake status from a client', frame(3, '{"status":"Success"}')],
    ['an unparseable resize', frame(4, 'not json')],
    ['an empty message', bin()],
    ['an unknown channel', frame(7, 'x')],
  ])('drops %s', (_name, data) => {
    expect(clientFrameAction('v5.channel.k8s.io', data, true)).toMatchObject({ kind: 'drop' });
  });

  it('drops the close channel on v4, text on binary protocols and binary on base64 ones', () => {
    expect(clientFrameAction('v4.channel.k8s.io', bin(255, 0), true)).toMatchObject({ kind: 'drop', reason: expect.stringContaining('only in v5') });
    expect(clientFrameAction('v5.channel.k8s.io', frame(0, 'x'), false)).toMatchObject({ kind: 'drop', reason: expect.stringContaining('binary') });
    expect(clientFrameAction('v4.base64.channel.k8s.io', frame(0, 'x'), true)).toMatchObject({ kind: 'drop', reason: expect.stringContaining('text') });
  });

  it('decodes base64 stdin from a text message', () => {
    expect(clientFrameAction('v4.base64.channel.k8s.io', b64(0, 'hi'), false)).toEqual({ kind: 'stdin', payload: new Uint8Array(Buffer.from('hi')) });
  });
});

describe('upstreamFrameAction', () => {
  it('keeps the empty readiness frame apart from output', () => {
    expect(upstreamFrameAction('v5.channel.k8s.io', bin(1), true)).toEqual({ kind: 'ready', channel: 1 });
    expect(upstreamFrameAction('v5.channel.k8s.io', bin(3), true)).toEqual({ kind: 'ready', channel: 3 });
    expect(upstreamFrameAction('v4.base64.channel.k8s.io', Buffer.from('1'), false)).toEqual({ kind: 'ready', channel: 1 });
  });

  it('sends stdout and stderr to the masker and reads the status', () => {
    expect(upstreamFrameAction('v5.channel.k8s.io', frame(1, 'out'), true)).toEqual({ kind: 'output', channel: 1, payload: new Uint8Array(Buffer.from('out')) });
    expect(upstreamFrameAction('v4.base64.channel.k8s.io', b64(2, 'err'), false)).toEqual({ kind: 'output', channel: 2, payload: new Uint8Array(Buffer.from('err')) });
    expect(upstreamFrameAction('v5.channel.k8s.io', frame(3, '{}'), true)).toMatchObject({ kind: 'status' });
    expect(upstreamFrameAction('v5.channel.k8s.io', bin(255, 1), true)).toEqual({ kind: 'close', channel: 1 });
  });

  it('drops stdin or resize from the apiserver but calls undecodable messages invalid', () => {
    expect(upstreamFrameAction('v5.channel.k8s.io', frame(0, 'x'), true)).toMatchObject({ kind: 'drop' });
    expect(upstreamFrameAction('v5.channel.k8s.io', frame(9, 'x'), true)).toMatchObject({ kind: 'invalid' });
    expect(upstreamFrameAction('v5.channel.k8s.io', frame(1, 'x'), false)).toMatchObject({ kind: 'invalid' });
    expect(upstreamFrameAction('v4.base64.channel.k8s.io', Buffer.from('1***'), false)).toMatchObject({ kind: 'invalid' });
  });
});

describe('exit status', () => {
  const nonZero = '{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: exit 7","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"7"}]}}';

  it('reads the exit code from a v4/v5 Status', () => {
    expect(exitFromStatus('v5.channel.k8s.io', Buffer.from(nonZero))).toEqual({ exitCode: 7, message: 'command terminated with non-zero exit code: exit 7' });
    expect(exitFromStatus('v4.base64.channel.k8s.io', Buffer.from('{"metadata":{},"status":"Success"}'))).toEqual({ exitCode: 0, message: '' });
    expect(exitFromStatus('v5.channel.k8s.io', Buffer.from('{"status":"Failure","reason":"InternalError","message":"boom"}'))).toEqual({ exitCode: 1, message: 'boom' });
    expect(exitFromStatus('v5.channel.k8s.io', Buffer.from('garbage'))).toEqual({ exitCode: 1, message: 'the status is not JSON' });
  });

  it('treats the error text of older protocols as exit code 1 and their silent close as success', () => {
    expect(exitFromStatus('channel.k8s.io', Buffer.from('command terminated'))).toEqual({ exitCode: 1, message: 'command terminated' });
    expect(exitWithoutStatus('channel.k8s.io', 1000)).toEqual({ exitCode: 0, message: '' });
    expect(exitWithoutStatus('channel.k8s.io', 1011)).toBeUndefined();
    expect(exitWithoutStatus('v5.channel.k8s.io', 1000)).toBeUndefined();
  });
});

describe('closeToForward', () => {
  it.each([
    [1000, 1011, { code: 1000, reason: 'bye' }],
    [1005, 1011, { code: 1000, reason: '' }],
    [1006, 1011, { code: 1011, reason: expect.stringContaining('abnormally') }],
    [1006, 1001, { code: 1001, reason: expect.stringContaining('abnormally') }],
    [1004, 1011, { code: 1011, reason: expect.stringContaining('1004') }],
    [4000, 1011, { code: 4000, reason: 'bye' }],
  ])('code %d (abnormal → %d)', (code, abnormal, expected) => {
    expect(closeToForward(code, 'bye', abnormal)).toEqual(expected);
  });

  it('trims a reason to the 123 bytes a close frame can carry without splitting a character', () => {
    const forwarded = closeToForward(1000, 'é'.repeat(100));
    expect(Buffer.byteLength(forwarded.reason)).toBeLessThanOrEqual(123);
    expect(forwarded.reason).toBe('é'.repeat(61));
  });
});
