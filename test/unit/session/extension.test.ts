import { describe, expect, it } from '@jest/globals';
import type { GrantView, PolicyClient } from '../../../src/policy/client.js';
import { extensionLeadMs, keepExtending } from '../../../src/session/extension.js';

function grant(id: string, state: GrantView['state'], ttlMs = 40_000, extra: Partial<GrantView> = {}): GrantView {
  return { id, state, cluster: 'c', template: 't', namespaces: ['*'], ttlMs, expiresAt: Date.now() + ttlMs, revision: 1, ...extra } as GrantView;
}

async function run(answers: GrantView[], first = grant('g1', 'active', 400)) {
  const lines: string[] = [];
  const used: string[] = [];
  const requested: string[] = [];
  let polls = 1;
  const client = {
    requestGrant: async () => answers[0]!,
    getGrant: async () => answers[Math.min(polls++, answers.length - 1)]!,
  } as unknown as PolicyClient;
  const extended = new Promise<GrantView | undefined>((resolve) => {
    const stop = keepExtending({
      client, grant: first, request: { cluster: 'c', grant: 't' },
      useGrant: (next) => used.push(next.id), say: (line) => lines.push(line),
      onExtended: (next) => {
        stop();
        resolve(next);
      },
      onRequested: (id) => requested.push(id),
    });
    setTimeout(() => {
      stop();
      resolve(undefined);
    }, 1500);
  });
  return { next: await extended, lines, used, requested };
}

describe('extensionLeadMs', () => {
  it('asks two minutes ahead, or a quarter of a short grant', () => {
    expect(extensionLeadMs({ ttlMs: 3_600_000 })).toBe(120_000);
    expect(extensionLeadMs({ ttlMs: 40_000 })).toBe(10_000);
  });
});

describe('keepExtending', () => {
  it('moves onto a grant the policy activates at once', async () => {
    const { next, used, requested, lines } = await run([grant('g2', 'active')]);
    expect(next?.id).toBe('g2');
    expect(used).toEqual(['g2']);
    expect(requested).toEqual(['g2']);
    expect(lines.join('\n')).toMatch(/session extended onto grant g2, \d+s left/);
  });

  it('waits for approval when the policy asks for it, then moves', async () => {
    const { next, lines } = await run([grant('g3', 'pending', 40_000, { approvalId: 'ap-9' }), grant('g3', 'active')]);
    expect(next?.id).toBe('g3');
    expect(lines[0]).toBe('kgate: extending grant g1 needs approval; approvers run: kgate approve ap-9');
  });

  it('says so when the extension is denied, and stays on the old grant', async () => {
    const { next, used, lines } = await run([grant('g4', 'denied', 40_000, { message: 'max sessions reached' })]);
    expect(next).toBeUndefined();
    expect(used).toEqual([]);
    expect(lines.join('\n')).toContain('grant g1 cannot be extended (denied: max sessions reached)');
  });
});
