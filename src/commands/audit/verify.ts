import { readFile } from 'node:fs/promises';
import { Flags } from '@oclif/core';
import { KgateCommand } from '../../cli/base-command.js';
import { timeFlag } from '../../cli/time-flag.js';
import { ExitCode, KgateError, usageError } from '../../cli/errors.js';
import { conflictOf, verifyTrail, type AuditConflict, type TrailVerification } from '../../audit/conflicts.js';
import { parseAuditEvents } from '../../audit/event-file.js';
import { KGATE_ANNOTATIONS, type AuditEvent } from '../../audit/event.js';
import { readConflicts, readTrail } from '../../audit/trail.js';
import { verifyReport, verifyVerdict } from '../../audit/verify-report.js';
import { openPolicyClient, serverFlags, type ServerFlagValues } from '../../policy/client-context.js';

interface RangeFlags {
  session?: string;
  from?: string;
  to?: string;
}

interface Trail {
  events: AuditEvent[];
  conflicts: AuditConflict[];
}

export default class AuditVerify extends KgateCommand<TrailVerification> {
  static override summary = 'Check the hash chains of the audit trail for deleted, edited or reordered events, and for conflicting copies.';
  static override description = 'Each broker session chains its events (kgate.dev/chain-seq, chain-prev, chain-hash) and ends with an end marker. Reads every matching event from the policy service, or from --file (JSON lines, a JSON array, or saved kgate audit search --json output), and checks each session\'s chain. From the service it also reads the conflicts: events that arrived under the auditID of one the service already held, with other content (the first is kept). Exits 1 when a chain is broken or there is any conflict. A time range that cuts a session short shows as a gap at its start; a session without its end marker is reported as open.';
  static override examples = [
    '<%= config.bin %> audit verify --session 5b0c…',
    '<%= config.bin %> audit verify --from 2025-01-01T00:00:00Z --to 2025-01-02T00:00:00Z',
    '<%= config.bin %> audit verify --file events.jsonl',
  ];
  static override flags = {
    session: Flags.string({ summary: 'Only this broker session (kgate.dev/session).' }),
    from: timeFlag('Earliest time (inclusive):'),
    to: timeFlag('Latest time (exclusive):'),
    file: Flags.string({ summary: 'Verify the events in this file instead of asking the policy service.' }),
    ...serverFlags,
  };

  async run(): Promise<TrailVerification> {
    const { flags } = await this.parse(AuditVerify);
    const { events, conflicts } = flags.file ? { events: await this.fromFile(flags.file, flags), conflicts: [] } : await this.fromService(flags);
    const result = verifyTrail(events, conflicts);
    for (const line of verifyReport(result)) this.say(line);
    if (!result.ok) {
      const error = new KgateError(verifyVerdict(result), { code: 'KGATE_AUDIT_CHAIN_BROKEN', exit: ExitCode.Error, suggestions: ['Compare with the SIEM copy of the trail; the rows above name each session, seq and conflicting auditID.'] });
      if (!this.jsonEnabled()) throw error;
      // The JSON envelope keeps the whole verification, so the exit code alone tells the verdict.
      process.exitCode = error.exit;
      return result;
    }
    this.say(verifyVerdict(result));
    return result;
  }

  private async fromService(flags: RangeFlags & ServerFlagValues): Promise<Trail> {
    const client = await openPolicyClient(flags);
    try {
      const range = { session: flags.session, from: flags.from, to: flags.to };
      const [events, conflicts] = await Promise.all([
        readTrail((filter) => client.searchAudit(filter), range),
        readConflicts((filter) => client.searchAuditConflicts(filter), range),
      ]);
      return { events, conflicts: conflicts.map(conflictOf) };
    } finally {
      await client.close();
    }
  }

  private async fromFile(file: string, flags: RangeFlags): Promise<AuditEvent[]> {
    if (flags.from || flags.to) throw usageError('--from and --to apply to the policy service, not to --file', ['Cut the file to the range you want, or drop --file.']);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw usageError(`Cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    const events = parseAuditEvents(text, file);
    return flags.session ? events.filter((e) => e.annotations?.[KGATE_ANNOTATIONS.session] === flags.session) : events;
  }
}
