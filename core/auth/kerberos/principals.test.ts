import { describe, expect, it } from 'vitest';
import { UsageError } from '../../errors';
import { formatDuration } from './failures';
import { parseUserPrincipal, servicePrincipals } from './principals';

describe('principal names', () => {
  it.each([
    ['alice@lab.test', undefined, ['alice'], 'LAB.TEST'],
    ['alice@LAB.TEST', 'OTHER.TEST', ['alice'], 'LAB.TEST'],
    ['alice', 'lab.test', ['alice'], 'LAB.TEST'],
    ['LAB\\alice', 'LAB.TEST', ['alice'], 'LAB.TEST'],
    ['svc/app@LAB.TEST', undefined, ['svc', 'app'], 'LAB.TEST'],
  ])('%j (default realm %j)', (user, defaultRealm, components, realm) => {
    expect(parseUserPrincipal(user, defaultRealm)).toEqual({ nameType: 1, components, realm });
  });

  it('asks for user@REALM when no realm can be known', () => {
    expect(() => parseUserPrincipal('LAB\\alice', undefined)).toThrow(UsageError);
    expect(() => parseUserPrincipal('LAB\\alice', undefined)).toThrow(/user@REALM/);
  });

  it('tries HTTP/, host/ and WSMAN/ with the host name in lower case', () => {
    expect(servicePrincipals('WIN-LAB.Lab.Test.', 'LAB.TEST').map((spn) => spn.components.join('/'))).toEqual([
      'HTTP/win-lab.lab.test',
      'host/win-lab.lab.test',
      'WSMAN/win-lab.lab.test',
    ]);
  });

  it.each([
    [0, '0 s'],
    [59_400, '59 s'],
    [3_723_000, '1 h 2 min 3 s'],
    [-7_200_000, '2 h'],
    [90_061_000, '1 d 1 h 1 min 1 s'],
  ])('formats %i ms as %j', (milliseconds, text) => {
    expect(formatDuration(milliseconds)).toBe(text);
  });
});
