import { ContainerLog, formatLogTimestamp, type LogRecord } from '../../../../sim/kube/pods/container-log.js';
import { parsePodLogOptions } from '../../../../sim/kube/pods/log-options.js';
import { LogWriter, selectRecords } from '../../../../sim/kube/pods/log-render.js';
import { StatusError } from '../../../../sim/kube/types.js';

const SECOND = 1_000_000_000n;
const T0 = 1_764_129_435n * SECOND + 123_456_789n;

function render(records: readonly LogRecord[], query: string): string {
  const options = parsePodLogOptions(new URLSearchParams(query), T0 + 100n * SECOND);
  const out: Buffer[] = [];
  const writer = new LogWriter(options, (chunk) => out.push(chunk));
  for (const record of selectRecords(records, options)) if (!writer.writeRecord(record)) break;
  return Buffer.concat(out).toString();
}

function sample(): ContainerLog {
  const log = new ContainerLog();
  log.append('stdout', Buffer.from('one\ntwo\npar'), T0);
  log.append('stderr', Buffer.from('err\n'), T0 + 50n * SECOND);
  log.append('stdout', Buffer.from('tial\n'), T0 + 90n * SECOND);
  return log;
}

describe('container log', () => {
  it('keeps one record per line and partial pieces', () => {
    expect(sample().records().map((r) => r.data.toString())).toEqual(['one\n', 'two\n', 'par', 'err\n', 'tial\n']);
  });

  it('formats timestamps with nine fractional digits', () => {
    expect(formatLogTimestamp(T0)).toBe('2025-11-26T03:57:15.123456789Z');
    expect(formatLogTimestamp(T0 - 123_456_789n)).toBe('2025-11-26T03:57:15.000000000Z');
  });

  it('renders plain, tailed, since-filtered and limited output', () => {
    const records = sample().records();
    expect(render(records, '')).toBe('one\ntwo\nparerr\ntial\n');
    expect(render(records, 'tailLines=2')).toBe('err\ntial\n');
    expect(render(records, 'tailLines=0')).toBe('');
    expect(render(records, 'sinceSeconds=60')).toBe('err\ntial\n');
    expect(render(records, 'limitBytes=6')).toBe('one\ntw');
  });

  it('prefixes timestamps only at line starts', () => {
    const text = render(sample().records(), 'timestamps=true&tailLines=3');
    expect(text).toBe(`${formatLogTimestamp(T0)} parerr\n${formatLogTimestamp(T0 + 90n * SECOND)} tial\n`);
  });

  it('drops the oldest records beyond its bound', () => {
    const log = new ContainerLog(10);
    log.append('stdout', Buffer.from('aaaa\nbbbb\ncccc\n'));
    expect(log.records().map((r) => r.data.toString())).toEqual(['bbbb\n', 'cccc\n']);
  });

  it('tells followers about new records and the end', () => {
    const log = new ContainerLog();
    const seen: string[] = [];
    log.follow((r) => seen.push(r.data.toString()), () => seen.push('END'));
    log.append('stdout', Buffer.from('x\n'));
    log.end();
    log.append('stdout', Buffer.from('late\n'));
    expect(seen).toEqual(['x\n', 'END']);
  });
});

describe('parsePodLogOptions', () => {
  const parse = (q: string) => parsePodLogOptions(new URLSearchParams(q), T0);
  it('reads bools the apimachinery way', () => {
    expect(parse('follow=true&timestamps&previous=0')).toMatchObject({ follow: true, timestamps: true, previous: false });
    expect(parse('follow=False')).toMatchObject({ follow: false });
  });

  it.each([
    ['tailLines=-1', 422],
    ['limitBytes=0', 422],
    ['sinceSeconds=0', 422],
    ['sinceSeconds=5&sinceTime=2025-01-01T00:00:00Z', 422],
    ['tailLines=abc', 400],
    ['sinceTime=yesterday', 400],
  ])('%s → %i', (query, code) => {
    expect(() => parse(query)).toThrow(StatusError);
    try {
      parse(query);
    } catch (error) {
      expect((error as StatusError).code).toBe(code);
    }
  });
});
