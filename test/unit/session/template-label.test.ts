import { expect, it } from '@jest/globals';
import { templateLabel } from '../../../src/session/app.js';

const base = { clusters: ['c'], access: { c: 'gateway' as const }, clusterRole: 'edit', defaultTtlMs: 3_600_000, maxTtlMs: 14_400_000, reasonRequired: false, breakGlassOnly: false };

it.each([
  [{ ...base, name: 'read-only', clusterRole: 'view', namespaces: ['*'] }, 'read-only — view in all namespaces, 1h (no approval)'],
  [{ ...base, name: 'deploy', namespaces: ['apps', 'web'], approval: { groups: ['sre-leads', 'leads'], count: 1 } }, 'deploy — edit in apps, web, 1h (approval by sre-leads or leads)'],
  [{ ...base, name: 'break-glass', clusterRole: 'cluster-admin', namespaces: ['*'], defaultTtlMs: 1_800_000, reasonRequired: true, breakGlassOnly: true }, 'break-glass — cluster-admin in all namespaces, 30m (no approval, break-glass, reason required)'],
])('%#: the list shows what a template grants and asks for', (template, label) => {
  expect(templateLabel(template)).toBe(label);
});
