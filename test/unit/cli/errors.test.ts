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
