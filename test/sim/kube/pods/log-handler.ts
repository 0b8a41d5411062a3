/**
 * `GET /api/v1/namespaces/{ns}/pods/{name}/log`: text/plain, streamed and flushed per write when
 * following, until the container run ends, limitBytes is reached or the client goes away.
 */
import { StatusError, type HandlerContext } from '../types.js';
import { nowNs } from './container-log.js';
import { parsePodLogOptions } from './log-options.js';
import { LogWriter, selectRecords } from './log-render.js';
import type { PodSupervisor } from './pod-supervisor.js';
import { chooseContainer, getPod } from './pod-target.js';

/** Serves one log request; throws StatusError (before any byte is written) for the REST core to render. */
export async function serveLog(ctx: HandlerContext, supervisor: PodSupervisor, log: (line: string) => void): Promise<void> {
  const { namespace, name } = ctx.info;
  const pod = getPod(ctx.store, namespace, name);
  const options = parsePodLogOptions(ctx.query, nowNs());
  const container = chooseContainer(pod, options.container);
  if (ctx.query.has('stream')) log(`pods: log of ${namespace}/${name}: the stream parameter (alpha PodLogsQuerySplitStreams) is ignored`);
  const runner = supervisor.find(namespace, name)?.containers.get(container.name);
  const instance = options.previous ? runner?.previous : runner?.current;
  if (!instance) {
    if (options.previous) throw new StatusError(400, 'BadRequest', `previous terminated container "${container.name}" in pod "${name}" not found`);
    throw new StatusError(400, 'BadRequest', `container "${container.name}" in pod "${name}" is waiting to start: ContainerCreating`);
  }

  const { res } = ctx;
  res.writeHead(200, { 'Content-Type': 'text/plain' });
  if (options.follow) res.flushHeaders();
  const writer = new LogWriter(options, (chunk) => res.write(chunk));
  for (const record of selectRecords(instance.log.records(), options)) {
    if (!writer.writeRecord(record)) break;
  }
  if (!options.follow || !writer.open || instance.log.ended) {
    res.end();
    return;
  }
  await new Promise<void>((resolve) => {
    const finish = (): void => {
      stop();
      if (!res.writableEnded) res.end();
      resolve();
    };
    const stop = instance.log.follow((record) => {
      if (!writer.writeRecord(record)) finish();
    }, finish);
    res.once('close', finish);
  });
}
