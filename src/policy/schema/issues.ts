/** One problem found in a policy (or cases) file, with the exact place it is at. */
export interface PolicyIssue {
  file: string;
  /** 1-based; 0 when the file could not be read at all. */
  line: number;
  /** 1-based; 0 when the file could not be read at all. */
  column: number;
  /** Field path from the document root, e.g. `spec.grants[1].maxTTL`; empty for YAML syntax errors. */
  path: string;
  message: string;
}

/** `file:line:col field: message`, the form editors and CI annotations jump to. */
export function formatIssue(issue: PolicyIssue): string {
  if (!issue.file) return issue.path ? `${issue.path}: ${issue.message}` : issue.message;
  const where = issue.line > 0 ? `${issue.file}:${issue.line}:${issue.column}` : `${issue.file}:`;
  return issue.path ? `${where} ${issue.path}: ${issue.message}` : `${where} ${issue.message}`;
}

/** Issues in file order, then by position, so output reads top to bottom. */
export function sortIssues(issues: readonly PolicyIssue[], fileOrder: readonly string[]): PolicyIssue[] {
  const rank = (file: string) => {
    const i = fileOrder.indexOf(file);
    return i === -1 ? fileOrder.length : i;
  };
  return [...issues].sort((a, b) => rank(a.file) - rank(b.file) || a.line - b.line || a.column - b.column);
}

/** `1 issue`, `3 issues`. */
export function countIssues(n: number): string {
  return `${n} issue${n === 1 ? '' : 's'}`;
}
