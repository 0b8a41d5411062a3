import { describe, expect, it } from '@jest/globals';
import { canonicalizeRequest } from '../../../src/kube/canonical.js';
import { compileDetectors, DETECTOR_NAMES } from '../../../src/mask/index.js';
import { approverView, heldRequestSummary } from '../../../src/policy/approver-view.js';
import { heldRequestDetail, type HeldRequestDetail } from '../../../src/policy/held-request.js';
import { approvalDetailLines, approvalRows, highlightStyle, markHighlights } from '../../../src/policy/render-approval.js';
import type { ApprovalView } from '../../../src/policy/server/api.js';
import { canonicalUrl } from './fixtures.js';

const detectors = compileDetectors([...DETECTOR_NAMES]);
const ATTACK = 'token="$(touch /tmp/pwned)"';

function approval(detail: HeldRequestDetail, withDetail: boolean): ApprovalView {
  const canonical = canonicalizeRequest(detail.method, detail.url);
  if (!canonical.ok) throw new Error(canonical.reason);
  return {
    id: 'q7abc', kind: 'request', state: 'pending', cluster: 'kgate-sim', revision: 1, createdAt: 0, expiresAt: 900_000,
    requester: { id: 'https://idp#ci', issuer: 'https://idp', subject: 'ci', name: 'ci-deployer', type: 'workload', groups: [] },
    rule: { groups: ['sre-leads'], count: 1, expiresAfterMs: 900_000 },
    request: { ...heldRequestSummary(detail, canonical.request, detectors), ruleName: 'prod-exec-needs-approval', message: 'exec in prod is held' },
    votes: [],
    ...(withDetail ? { detail: approverView('kgate-sim', detail, canonical.request, detectors, { withBody: true }) } : {}),
  };
}

function exec(command: string[]): HeldRequestDetail {
  const query = command.map((c) => `command=${encodeURIComponent(c)}`).join('&');
  return heldRequestDetail({ method: 'GET', url: canonicalUrl('GET', `/api/v1/namespaces/prod/pods/web/exec?${query}&container=web&stdout=true`) });
}

describe('markHighlights', () => {
  const text = { text: 'a secret here', highlights: [{ start: 2, end: 8, detector: 'x' }] };

  it('marks highlights with [[…]] in plain text and reverse video on a terminal', () => {
    expect(markHighlights(text, 'brackets')).toBe('a [[secret]] here');
    expect(markHighlights(text, 'ansi')).toBe('a \x1b[7msecret\x1b[27m here');
    expect(markHighlights({ text: 'abc', highlights: [{ start: 1, end: 3, detector: 'x' }] }, 'brackets')).toBe('a[[bc]]');
  });

  it('escapes what a terminal would hide or act on, so a command cannot pass for another', () => {
    const hostile = 'rm -rf /\x1b[2K\recho hello\u202E\u200Bx\ty\nz';
    expect(markHighlights({ text: hostile, highlights: [] }, 'brackets')).toBe('rm -rf /\\u{1b}[2K\\u{d}echo hello\\u{202e}\\u{200b}x\\u{9}y\\u{a}z');
    expect(markHighlights({ text: hostile, highlights: [] }, 'ansi')).not.toContain('\x1b[2K');
    // A body keeps its layout (newlines, tabs), still without control characters.
    expect(markHighlights({ text: 'a\tb\nc\x07', highlights: [] }, 'brackets', { keepLayout: true })).toBe('a\tb\nc\\u{7}');
  });

  it('counts highlight offsets in UTF-16 code units, across astral characters', () => {
    expect(markHighlights({ text: '😀ab', highlights: [{ start: 2, end: 3, detector: 'x' }] }, 'brackets')).toBe('😀[[a]]b');
  });

  it('chooses reverse video only for a colour terminal', () => {
    expect(highlightStyle({ isTTY: true }, {})).toBe('ansi');
    expect(highlightStyle({ isTTY: false }, {})).toBe('brackets');
    expect(highlightStyle({ isTTY: true }, { NO_COLOR: '1' })).toBe('brackets');
    expect(highlightStyle({ isTTY: true }, { TERM: 'dumb' })).toBe('brackets');
  });
});

describe('kgate approvals show', () => {
  it('shows an approver each argument in full with the detector match marked', () => {
    const lines = approvalDetailLines(approval(exec(['sh', '-c', ATTACK]), true), 'brackets');
    expect(lines).toContain('Command:    3 arguments, each exactly as it will run:');
    expect(lines).toContain('  [0] sh');
    expect(lines).toContain('  [1] -c');
    expect(lines).toContain('  [2] token="[[$(touch /tmp/pwned)]]"');
    expect(lines).toContain('Target:     get pods/exec web in namespace prod of cluster kgate-sim (container web)');
    expect(lines).toContain('Options:    stdout=true');
    expect(lines.join('\n')).toContain('Between [[ and ]]: what secret detectors matched (password-assignment), shown in full to approvers only');
    expect(lines.join('\n')).not.toContain('MASKED');
  });

  it('shows the requester the masked summary only', () => {
    const text = approvalDetailLines(approval(exec(['sh', '-c', ATTACK]), false), 'brackets').join('\n');
    expect(text).toContain('Command:    sh -c token="***MASKED:password-assignment***" (secrets masked)');
    expect(text).toContain('The full request is shown to the people who may decide it.');
    expect(text).not.toContain('touch');
  });

  it('shows a patch re-indented with its patch type', () => {
    const detail = heldRequestDetail({
      method: 'PATCH', url: canonicalUrl('PATCH', '/api/v1/namespaces/prod/secrets/db?fieldManager=kubectl-patch'),
      contentType: 'application/json-patch+json', body: Buffer.from('[{"op":"replace","path":"/stringData/password","value":"password=hunter2"}]'),
    });
    const lines = approvalDetailLines(approval(detail, true), 'brackets');
    const at = lines.findIndex((l) => l.startsWith('Body:'));
    expect(lines[at]).toBe('Body:       75 bytes of application/json-patch+json (JSON patch (RFC 6902)), re-indented (every token as sent; --json has the exact bytes):');
    expect(lines.slice(at + 1, at + 8)).toEqual([
      '  [',
      '    {',
      '      "op": "replace",',
      '      "path": "/stringData/password",',
      '      "value": "password=[[hunter2]]"',
      '    }',
      '  ]',
    ]);
  });
});

describe('kgate approvals list', () => {
  it('shows approvers the command in full, the requester masked, aligned under ANSI highlights', () => {
    const full = approvalRows([approval(exec(['sh', '-c', ATTACK]), true)], 'ansi');
    expect(full[1]).toContain('-- sh -c token="\x1b[7m$(touch /tmp/pwned)\x1b[27m"');
    const masked = approvalRows([approval(exec(['sh', '-c', ATTACK]), false)], 'brackets');
    expect(masked[1]).toContain('-- sh -c token="***MASKED:password-assignment***"');
    // The VOTES column starts at the same place in the header and the row, whatever the escape codes.
    const plain = (s: string) => s.replace(/\x1b\[\d+m/g, ''); // eslint-disable-line no-control-regex
    expect(plain(full[1]!).indexOf('0/1')).toBe(full[0]!.indexOf('VOTES'));
  });
});
