/**
 * A broker's audit trail on this machine: the durable spool in the state directory and the
 * shipper that sends what it holds to the policy service in the background (starting with
 * whatever an earlier run left behind). Shared by every cluster session of one broker.
 */
import { join } from 'node:path';
import type { AuditSpool } from '../../audit/spool.js';
import type { FlushResult } from '../../audit/shipper.js';
import type { PolicyClient } from '../../policy/client.js';

export interface AuditTrail {
  spool: AuditSpool;
  /** Ships what the spool holds now (up to `timeoutMs`), and keeps shipping in the background. */
  flush(timeoutMs: number): Promise<FlushResult>;
  /** Ships what is left (up to `flushMs`), then stops shipping and closes the spool. */
  close(flushMs?: number): Promise<FlushResult>;
}

export interface AuditTrailOptions {
  client: PolicyClient;
  stateDir: string;
  log: (line: string) => void;
  /** Spool caps; defaults 64 MiB and 100 000 events. */
  maxBytes?: number;
  maxEvents?: number;
}

/** Opens the spool and starts shipping. */
export async function openAuditTrail(options: AuditTrailOptions): Promise<AuditTrail> {
  const [{ openSpool }, { createShipper }] = await Promise.all([import('../../audit/spool.js'), import('../../audit/shipper.js')]);
  const spool = openSpool(join(options.stateDir, 'audit', 'spool.db'), { maxBytes: options.maxBytes ?? 64 * 1024 * 1024, maxEvents: options.maxEvents ?? 100_000 });
  const shipper = createShipper({ spool, send: (events) => options.client.ingestAudit(events), log: options.log });
  shipper.start();
  let closing: Promise<FlushResult> | undefined;
  return {
    spool,
    flush: (timeoutMs) => shipper.flush(timeoutMs),
    close(flushMs = 30_000) {
      closing ??= (async () => {
        try {
          return await shipper.flush(flushMs);
        } finally {
          await shipper.stop();
          await spool.close();
        }
      })();
      return closing;
    },
  };
}
