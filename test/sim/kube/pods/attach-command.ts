/**
 * Attaches a StreamSession to a container's running main process: its live output from now on,
 * its stdin when the container spec has `stdin: true`, and its tty size when it runs on a tty.
 * Like the kubelet it reports Success when the process ends.
 */
import { Channel } from './channel-protocol.js';
import type { ContainerInstance } from './container-runner.js';
import { successStatus } from './exec-status.js';
import type { StreamSession } from './stream-session.js';
import { resizeTty } from './tty.js';

export interface AttachRequest {
  instance: ContainerInstance;
  stdin: boolean;
  /** The container spec's stdinOnce: its stdin closes when the first attached client leaves. */
  stdinOnce: boolean;
}

/** Bridges until the process ends or the client leaves; returns a function that detaches. */
export function runAttach(session: StreamSession, request: AttachRequest): () => void {
  const { instance } = request;
  const stopFollowing = instance.log.follow(
    (record) => session.output(record.stream === 'stdout' ? Channel.stdout : Channel.stderr, record.data),
    () => session.finish(successStatus()),
  );
  const releaseStdin = (): void => {
    if (request.stdin && request.stdinOnce) instance.stdin?.end();
  };
  session.attach({
    stdin: (data) => instance.stdin?.write(data),
    stdinEnd: releaseStdin,
    resize: (size) => void (instance.process?.pid !== undefined && resizeTty(instance.process.pid, size)),
    disconnect: () => {
      stopFollowing();
      releaseStdin();
    },
  });
  return stopFollowing;
}
