import { parseExecTarget } from '../../../../src/broker/exec/exec-target.js';
import { createOutputMasker } from '../../../../src/broker/exec/output-masker.js';
import { RecentRefusals } from '../../../../src/broker/exec/refusal-memory.js';
import { isPortForwardTunnel, isSpdyUpgrade, unrecordableStreamRefusal } from '../../../../src/broker/exec/spdy.js';
import { compileDetectors, DETECTOR_NAMES } from '../../../../src/mask/index.js';

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('latin1');
const TOKEN = `ghp_${'a1B2'.repeat(9)}`;

describe('parseExecTarget', () => {
  it('reads command, container and Go-style boolean flags', () => {
    expect(parseExecTarget('/api/v1/namespaces/prod/pods/web/exec?command=sh&command=-c&command=echo%20hi&container=app&stdin=1&stdout=true&stderr=false&tty=T')).toEqual({
      subresource: 'exec', namespace: 'prod', pod: 'web', command: ['sh', '-c', 'echo hi'], container: 'app', stdin: true, stdout: true, stderr: false, tty: true,
    });
  });

  it('has no command for attach and rejects other paths', () => {
    expect(parseExecTarget('/api/v1/namespaces/prod/pods/web/attach?command=ignored&stdout=true')).toMatchObject({ subresource: 'attach', command: [], stdout: true });
    expect(parseExecTarget('/api/v1/namespaces/prod/pods/web/portforward?ports=80')).toBeUndefined();
    expect(parseExecTarget('/api/v1/namespaces/prod/pods/web')).toBeUndefined();
  });
});

describe('createOutputMasker', () => {
  it('masks a secret split across frames of one channel and keeps channels apart', () => {
    const masker = createOutputMasker(compileDetectors(DETECTOR_NAMES));
    const first = text(masker.write(1, Buffer.from(`token ${TOKEN.slice(0, 10)}`)));
    const other = text(masker.write(2, Buffer.from('stderr line\n')));
    const second = text(masker.write(1, Buffer.from(`${TOKEN.slice(10)} done\n`)));
    expect(first + second).toBe('token ***MASKED:github-token*** done\n');
    expect(other).toBe('stderr line\n');
    expect(masker.maskedCount).toBe(1);
  });

  it('releases held text on end, and refuses writes after it', () => {
    const masker = createOutputMasker(compileDetectors(DETECTOR_NAMES));
    expect(text(masker.write(1, Buffer.from(TOKEN)))).toBe('');
    expect(masker.endAll()).toEqual([{ channel: 1, payload: new Uint8Array(Buffer.from('***MASKED:github-token***')) }]);
    expect(masker.maskedCount).toBe(1);
    expect(() => masker.write(1, Buffer.from('more'))).toThrow(RangeError);
    expect(masker.end(1)).toEqual(new Uint8Array(0));
  });
});

describe('RecentRefusals', () => {
  it('replays a refusal once, and not after it expired', () => {
    let clock = 0;
    const refusals = new RecentRefusals(1_000, () => clock);
    const refusal = { code: 404, headers: {}, body: '{}' };
    refusals.remember('/a', refusal);
    refusals.remember('/b', refusal);
    expect(refusals.take('/a')).toBe(refusal);
    expect(refusals.take('/a')).toBeUndefined();
    clock = 1_001;
    expect(refusals.take('/b')).toBeUndefined();
  });
});

describe('unrecordable streams', () => {
  const spdy = { headers: { connection: 'Upgrade', upgrade: 'SPDY/3.1', 'x-stream-protocol-version': 'v5.channel.k8s.io' } };
  const websocket = { headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-protocol': 'v5.channel.k8s.io' } };
  const tunnel = { headers: { upgrade: 'websocket', 'sec-websocket-protocol': 'SPDY/3.1+portforward.k8s.io' } };

  it('recognises SPDY upgrades and the port-forward tunnel', () => {
    expect(isSpdyUpgrade(spdy)).toBe(true);
    expect(isSpdyUpgrade({ headers: { 'x-stream-protocol-version': 'v4.channel.k8s.io' } })).toBe(true);
    expect(isSpdyUpgrade(websocket)).toBe(false);
    expect(isPortForwardTunnel(tunnel)).toBe(true);
    expect(isPortForwardTunnel(websocket)).toBe(false);
  });

  it('refuses SPDY exec and any port-forward with a Forbidden Status, and lets WebSocket exec through', () => {
    const exec = unrecordableStreamRefusal(spdy, { subresource: 'exec', pod: 'web' })!;
    expect(exec.code).toBe(403);
    expect(JSON.parse(exec.body)).toMatchObject({ kind: 'Status', reason: 'Forbidden', details: { name: 'web', kind: 'pods' }, message: expect.stringContaining('KUBECTL_REMOTE_COMMAND_WEBSOCKETS') });
    expect(JSON.parse(unrecordableStreamRefusal(tunnel, { subresource: 'portforward', pod: 'web' })!.body).message).toContain('pods/portforward');
    expect(unrecordableStreamRefusal(websocket, { subresource: 'portforward', pod: 'web' })!.code).toBe(403);
    expect(unrecordableStreamRefusal(websocket, { subresource: 'exec', pod: 'web' })).toBeUndefined();
  });
});
