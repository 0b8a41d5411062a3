/**
 * The status a remote command reports on channel 3 when it ends, shaped like the kubelet's
 * (kubelet cri streaming remotecommand: exec.go, attach.go, websocket.go).
 */
import type { ChannelProtocol } from './channel-protocol.js';

/** metav1.Status as Go marshals it there: no kind/apiVersion, no code unless set. */
export interface StreamStatus {
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: { causes: { reason?: string; message: string }[] };
  code?: number;
}

/** The command (or attach) ended normally with exit code 0. */
export function successStatus(): StreamStatus {
  return { metadata: {}, status: 'Success' };
}

/**
 * The command exited non-zero. The message mirrors containerd's exec error wrapped by the kubelet,
 * e.g. `command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3`.
 */
export function nonZeroExitStatus(command: readonly string[], exitCode: number): StreamStatus {
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${exitCode}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
  };
}

/** Anything else that went wrong, as apierrors.NewInternalError renders it. */
export function internalErrorStatus(message: string): StreamStatus {
  return {
    metadata: {},
    status: 'Failure',
    message: `Internal error occurred: ${message}`,
    reason: 'InternalError',
    details: { causes: [{ message }] },
    code: 500,
  };
}

/**
 * What to write on channel 3 for this protocol: JSON for v4/v5; for older protocols only a
 * failure's message as text, nothing on success (kubelet v1WriteStatusFunc).
 */
export function statusPayload(protocol: ChannelProtocol, status: StreamStatus): Buffer | undefined {
  if (protocol.jsonStatus) return Buffer.from(JSON.stringify(status));
  if (status.status === 'Success') return undefined;
  return Buffer.from(status.message ?? '');
}
