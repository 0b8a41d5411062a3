import { ExitCode, KgateError, toErrorBody, usageError } from '../../../src/cli/errors.js';
import { resolvePaths } from '../../../src/cli/paths.js';

describe('toErrorBody', () => {
  it('keeps code, message, exit code and suggestions of a KgateError', () => {
    const error = new KgateError('login needed', { code: 'KGATE_LOGIN_NEEDED', exit: ExitCode.LoginNeeded, suggestions: ['kgate login'] });
    expect(toErrorBody(error)).toEqual({ code: 'KGATE_LOGIN_NEEDED', message: 'login needed', exitCode: 4, suggestions: ['kgate login'] });
  });

  it('reduces an unknown error to its first line, never a stack or dump', () => {
    const body = toErrorBody(new Error('boom\n    at secret-place (file.js:1:1)'));
    expect(body).toEqual({ code: 'KGATE_INTERNAL', message: 'boom', exitCode: 1, suggestions: [] });
  });

  it('keeps the reason of a flag whose own parser refused its value, as a usage error', () => {
    const refused = new Error('Parsing --from \n\texpected an RFC 3339 time, got "yesterday"\nSee more help with --help');
    expect(toErrorBody(refused)).toMatchObject({ code: 'KGATE_USAGE', message: '--from: expected an RFC 3339 time, got "yesterday"', exitCode: 2 });
  });

  it('maps usage errors to exit code 2', () => {
    expect(toErrorBody(usageError('bad flag')).exitCode).toBe(ExitCode.Usage);
  });
});

describe('resolvePaths', () => {
  it('prefers KGATE_* variables, then XDG variables, then XDG defaults', () => {
    expect(resolvePaths({ KGATE_STATE_DIR: '/s' }, '/home/u')).toEqual({ config: '/home/u/.config/kgate', state: '/s', cache: '/home/u/.cache/kgate' });
    expect(resolvePaths({ XDG_CONFIG_HOME: '/x' }, '/home/u').config).toBe('/x/kgate');
    // A relative XDG value is invalid by the spec and ignored.
    expect(resolvePaths({ XDG_CONFIG_HOME: 'rel' }, '/home/u').config).toBe('/home/u/.config/kgate');
  });
});

describe('parse errors of the flag parser', () => {
  // oclif's parse errors, as its parser builds them (the real classes, not look-alikes).
  it('names the missing argument, flag or both, on one line', async () => {
    const { Args, Flags, Parser } = await import('@oclif/core');
    const parseError = async (argv: string[]) => Parser.parse(argv, {
      args: { id: Args.string({ required: true, description: 'Approval id.' }) },
      flags: { reason: Flags.string({ required: true }), context: Flags.string({ required: true }) },
    }).then(() => undefined, (error: unknown) => error);
    expect(toErrorBody(await parseError([]))).toMatchObject({ code: 'KGATE_USAGE', message: 'Missing required argument ID', exitCode: 2 });
    expect(toErrorBody(await parseError(['x', '--context', 'c'])).message).toBe('Missing required flag --reason');
    expect(toErrorBody(await parseError(['x'])).message).toBe('Missing required flags --context, --reason');
    expect(toErrorBody(await parseError(['x', '--reason', 'r', '--context', 'c', '--nope'])).message).toBe('Nonexistent flag: --nope');
    expect(toErrorBody(await parseError(['x', 'y', '--reason', 'r', '--context', 'c'])).message).toBe('Unexpected argument: y');
  });

  it('points at the help of the command that failed', () => {
    const error = Object.assign(new Error('Missing required flag grant\nSee more help with --help'), { oclif: { exit: 2 } });
    expect(toErrorBody(error, 'See kgate grants request --help for usage.')).toEqual({
      code: 'KGATE_USAGE', message: 'Missing required flag --grant', exitCode: 2, suggestions: ['See kgate grants request --help for usage.'],
    });
  });
});
