/**
 * Turns a file's text into YAML documents ready for reading, refusing what is too big to be a
 * policy: files over {@link MAX_POLICY_BYTES}, documents with more than {@link MAX_ALIASES} aliases
 * (the "billion laughs" shape), and anything with a YAML syntax error (reported with its position).
 */
import { LineCounter, parseAllDocuments, visit, type Document } from 'yaml';
import type { PolicyEnv } from './env.js';
import type { PolicyIssue } from './issues.js';
import { DocumentContext, ValueReader } from './reader.js';

/** Largest policy or cases file read: policies are hand-written, a megabyte is already absurd. */
export const MAX_POLICY_BYTES = 1024 * 1024;
/** Most aliases (`*name`) one document may use. */
export const MAX_ALIASES = 100;

/** One YAML document of a file, with a reader at its root. */
export interface SourceDocument {
  ctx: DocumentContext;
  root: ValueReader;
}

function firstExcessAlias(doc: Document): { offset: number; count: number } | undefined {
  let count = 0;
  let offset: number | undefined;
  visit(doc, {
    Alias(_key, node) {
      count++;
      if (count === MAX_ALIASES + 1) offset = node.range?.[0] ?? 0;
    },
  });
  return offset === undefined ? undefined : { offset, count };
}

/** Parses `text` into documents; syntax errors, size and alias limits become issues. */
export function readDocuments(file: string, text: string, env: PolicyEnv, issues: PolicyIssue[]): SourceDocument[] {
  const at = (lineCounter: LineCounter, offset: number) => lineCounter.linePos(offset);
  if (Buffer.byteLength(text, 'utf8') > MAX_POLICY_BYTES) {
    issues.push({ file, line: 1, column: 1, path: '', message: `file is larger than ${MAX_POLICY_BYTES / 1024} KiB; refusing to read it` });
    return [];
  }
  const lineCounter = new LineCounter();
  let docs: Document[];
  try {
    docs = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true, strict: true }) as Document[];
  } catch (error) {
    issues.push({ file, line: 1, column: 1, path: '', message: `cannot parse YAML: ${(error as Error).message.split('\n', 1)[0]}` });
    return [];
  }
  const documents: SourceDocument[] = [];
  for (const doc of docs) {
    const problems = [...doc.errors, ...doc.warnings];
    for (const problem of problems) {
      const { line, col } = at(lineCounter, problem.pos[0]);
      issues.push({ file, line, column: col, path: '', message: `invalid YAML: ${problem.message.split('\n', 1)[0]}` });
    }
    if (problems.length > 0) continue;
    const excess = firstExcessAlias(doc);
    if (excess) {
      const { line, col } = at(lineCounter, excess.offset);
      issues.push({ file, line, column: col, path: '', message: `more than ${MAX_ALIASES} aliases in one document; refusing it` });
      continue;
    }
    const ctx = new DocumentContext(file, lineCounter, doc, issues, env);
    documents.push({ ctx, root: new ValueReader(ctx, '', doc.contents as never) });
  }
  if (docs.length === 0) issues.push({ file, line: 1, column: 1, path: '', message: 'no YAML document in the file' });
  return documents;
}
