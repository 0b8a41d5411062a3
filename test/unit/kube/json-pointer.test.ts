import { escapePointerToken, isStrictPointer, pointerTokens, unescapePointerToken } from '../../../src/kube/json-pointer.js';

describe('JSON pointers as the apiserver reads them', () => {
  test.each([
    ['', []],
    ['/', ['']],
    ['/data/password', ['data', 'password']],
    ['/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration', ['metadata', 'annotations', 'kubectl.kubernetes.io/last-applied-configuration']],
    ['/a~01', ['a~1']],
    ['/a~10', ['a/0']],
    ['/~0~1', ['~/']],
    ['x/data/password', ['data', 'password']],
    ['data/password', ['password']],
    ['/spec/containers/-1/env/+0', ['spec', 'containers', '-1', 'env', '+0']],
  ])('%j resolves to %j', (pointer, tokens) => {
    expect(pointerTokens(pointer)).toEqual(tokens);
  });

  test('a pointer without any slash resolves nothing', () => {
    expect(pointerTokens('data')).toBeUndefined();
  });

  test('only empty pointers and those starting with / are RFC 6901', () => {
    expect(['', '/', '/a'].map(isStrictPointer)).toEqual([true, true, true]);
    expect(['a', 'a/b', ' /a'].map(isStrictPointer)).toEqual([false, false, false]);
  });

  test('escaping and unescaping are inverse, in one pass', () => {
    for (const token of ['a/b', '~1', '~0/', 'plain', '']) expect(unescapePointerToken(escapePointerToken(token))).toBe(token);
    expect(escapePointerToken('~/')).toBe('~0~1');
  });
});
