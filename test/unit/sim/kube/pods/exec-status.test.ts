import { CHANNEL_PROTOCOLS } from '../../../../sim/kube/pods/channel-protocol.js';
import { internalErrorStatus, nonZeroExitStatus, statusPayload, successStatus } from '../../../../sim/kube/pods/exec-status.js';

const v5 = CHANNEL_PROTOCOLS.find((p) => p.name === 'v5.channel.k8s.io')!;
const v1 = CHANNEL_PROTOCOLS.find((p) => p.name === 'channel.k8s.io')!;

describe('exec status frames', () => {
  it('success is the bare Status Go marshals', () => {
    expect(statusPayload(v5, successStatus())!.toString()).toBe('{"metadata":{},"status":"Success"}');
  });

  it('a non-zero exit carries the code as an ExitCode cause', () => {
    const status = nonZeroExitStatus(['sh', '-c', 'exit 3'], 3);
    expect(JSON.parse(statusPayload(v5, status)!.toString())).toEqual({
      metadata: {},
      status: 'Failure',
      message: 'command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '3' }] },
    });
  });

  it('pre-v4 protocols get only a failure message as text', () => {
    expect(statusPayload(v1, successStatus())).toBeUndefined();
    expect(statusPayload(v1, nonZeroExitStatus(['false'], 1))!.toString()).toBe('command terminated with non-zero exit code: error executing command [false], exit code 1');
  });

  it('internal errors look like apierrors.NewInternalError', () => {
    expect(internalErrorStatus('boom')).toEqual({ metadata: {}, status: 'Failure', message: 'Internal error occurred: boom', reason: 'InternalError', details: { causes: [{ message: 'boom' }] }, code: 500 });
  });
});
