import { setTimeout as sleep } from 'node:timers/promises';
import { Flags } from '@oclif/core';
import type { AuditEvent } from '../../audit/event.js';
import { tailLine } from '../../audit/tail-line.js';
import { createTrailFollower, type TrailFollower } from '../../audit/trail.js';
import { KgateCommand } from '../../cli/base-command.js';
import { ExitCode, KgateError, usageError } from '../../cli/errors.js';
import { openPolicyClient, serverFlags } from '../../policy/client-context.js';
import type { AuditPage } from '../../policy/client.js';
import { tryParseDuration } from '../../policy/duration.js';

export default class AuditTail extends KgateCommand<AuditPage | undefined> {
  static override summary = 'Show the latest audit events, and with --follow new ones as they arrive.';
  static override description = 'Prints the newest --limit matching events, oldest first. With --follow, polls the policy service every --interval and prints each new event once (also one a broker ships late) until Ctrl-C; an unreachable service is retried. With --json and --follow, prints one event per line.';
  static override examples = [
    '<%= config.bin %> audit tail --follow --cluster prod',
    '<%= config.bin %> audit tail -f --json --session 5b0c… | jq .verb',
  ];
  static override flags = {
    follow: Flags.boolean({ char: 'f', summary: 'Keep printing new events until Ctrl-C.' }),
    interval: Flags.string({ summary: 'How often to poll while following (e.g. 2s, 500ms).', default: '2s' }),
    limit: Flags.integer({ summary: 'Events shown first.', min: 0, max: 1000, default: 20 }),
    principal: Flags.string({ summary: 'Principal id (issuer#subject).' }),
    grant: Flags.string({ summary: 'Grant id.' }),
    cluster: Flags.string({ summary: 'Cluster name.' }),
    verb: Flags.string({ summary: 'Kubernetes verb or service action.' }),
    resource: Flags.string({ summary: 'Resource, or resource/subresource.' }),
    namespace: Flags.string({ summary: 'Namespace.' }),
    decision: Flags.string({ summary: 'Decision (allow, deny, approve…).' }),
    session: Flags.string({ summary: 'Broker session (kgate.dev/session).' }),
    ...serverFlags,
  };

  async run(): Promise<AuditPage | undefined> {
    const { flags } = await this.parse(AuditTail);
    const interval = tryParseDuration(flags.interval);
    if (interval === undefined || interval < 100) throw usageError(`--interval must be a duration of at least 100ms, like 2s, not "${flags.interval}"`);
    const { principal, grant, cluster, verb, resource, namespace, decision, session } = flags;
    const filter = { principal, grant, cluster, verb, resource, namespace, decision, session };
    const client = await openPolicyClient(flags);
    try {
      const follower = flags.follow ? createTrailFollower({ search: (f) => client.searchAudit(f), filter, now: Date.now }) : undefined;
      await follower?.prime();
      const latest = flags.limit === 0 ? { items: [] } : await client.searchAudit({ ...filter, limit: flags.limit });
      const events = [...(latest.items as AuditEvent[])].reverse();
      if (!follower) {
        if (events.length === 0) this.say('No matching events.');
        for (const event of events) this.say(tailLine(event));
        return { items: events };
      }
      follower.seen(events);
      this.show(events);
      await this.follow(follower, interval);
      return undefined;
    } finally {
      await client.close();
    }
  }

  private async follow(follower: TrailFollower, interval: number): Promise<void> {
    const stop = new AbortController();
    const interrupt = () => stop.abort();
    process.once('SIGINT', interrupt);
    let failing = false;
    try {
      while (!stop.signal.aborted) {
        await sleep(interval, undefined, { signal: stop.signal }).catch(() => undefined);
        if (stop.signal.aborted) break;
        try {
          this.show(await follower.poll());
          if (failing) process.stderr.write('kgate: the policy service answers again; following.\n');
          failing = false;
        } catch (error) {
          if (!(error instanceof KgateError) || error.exit !== ExitCode.Unavailable) throw error;
          if (!failing) process.stderr.write(`kgate: ${error.message}; retrying every ${interval} ms.\n`);
          failing = true;
        }
      }
    } finally {
      process.off('SIGINT', interrupt);
    }
  }

  /** While following, `--json` means one event per line: there is no end to wrap them in. */
  private show(events: AuditEvent[]): void {
    for (const event of events) {
      if (this.jsonEnabled()) process.stdout.write(`${JSON.stringify(event)}\n`);
      else this.log(tailLine(event));
    }
  }
}
