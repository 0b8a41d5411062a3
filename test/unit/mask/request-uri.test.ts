import { describe, expect, it } from '@jest/globals';
import { compileDetectors, DETECTOR_NAMES } from '../../../src/mask/index.js';
import { maskRequestUri, maskWords } from '../../../src/mask/request-uri.js';

const detectors = compileDetectors([...DETECTOR_NAMES]);
const KEY = 'AKIAIOSFODNN7EXAMPLE';

describe('maskRequestUri', () => {
  it('masks a secret in an exec command parameter and keeps everything else byte for byte', () => {
    const uri = `/api/v1/namespaces/prod/pods/web/exec?command=sh&command=-c&command=echo%20${KEY}&container=web&stdout=true`;
    const masked = maskRequestUri(uri, detectors);
    expect(masked).not.toContain(KEY);
    expect(masked).toBe('/api/v1/namespaces/prod/pods/web/exec?command=sh&command=-c&command=echo%20***MASKED%3Aaws-access-key-id***&container=web&stdout=true');
  });

  it('masks secrets in query keys and bare keys too', () => {
    const masked = maskRequestUri(`/api/v1/pods?${KEY}=1&x=2&token%3D${KEY}`, detectors);
    expect(masked).not.toContain(KEY);
    expect(masked).toBe('/api/v1/pods?***MASKED%3Aaws-access-key-id***=1&x=2&token%3D***MASKED%3Aaws-access-key-id***');
  });

  it('masks an undecodable component as it stands', () => {
    expect(maskRequestUri(`/x?a=%zz+${KEY}`, detectors)).toBe('/x?a=%zz+***MASKED:aws-access-key-id***');
  });

  it('leaves URIs without secrets, without a query, or with undecodable values as they are', () => {
    for (const uri of ['/api/v1/pods', '/api/v1/pods?limit=500', '/api/v1/pods?x=%zz', '/api/v1/pods?flag']) expect(maskRequestUri(uri, detectors)).toBe(uri);
  });

  it('returns the URI unchanged when no detectors are configured', () => {
    const uri = `/x?command=${KEY}`;
    expect(maskRequestUri(uri, [])).toBe(uri);
  });
});

describe('maskWords', () => {
  it('masks each word on its own', () => {
    expect(maskWords(['echo', KEY, 'done'], detectors)).toEqual(['echo', '***MASKED:aws-access-key-id***', 'done']);
  });
});
