import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isDnsName, isHostAddress, isIPv4Address, isIPv6Address } from './network-names';

describe('host address syntax', () => {
  it('accepts the forms users type', () => {
    for (const address of [
      'server01',
      'server01.corp.example.com',
      'server01.corp.example.com.',
      '_msdcs.corp.example.com',
      'münchen.example',
      '192.0.2.10',
      '::1',
      'fe80::1',
      '2001:db8::8a2e:370:7334',
      '2001:0db8:0000:0000:0000:ff00:0042:8329',
      '::ffff:192.0.2.1',
    ]) {
      expect(isHostAddress(address), address).toBe(true);
    }
  });

  it('rejects what is not a host', () => {
    for (const address of [
      '',
      'server 01',
      '-server',
      'server-',
      'a..b',
      '256.1.1.1',
      '1.2.3',
      '1:2:3:4:5:6:7:8:9',
      '1::2::3',
      '::ffff:999.0.2.1',
      'gggg::1',
      'a'.repeat(64),
      `${'a.'.repeat(127)}a`,
    ]) {
      expect(isHostAddress(address), address).toBe(false);
    }
  });

  it('classifies generated addresses and names', () => {
    fc.assert(fc.property(fc.ipV4(), (address) => isIPv4Address(address) && !isIPv6Address(address)));
    fc.assert(fc.property(fc.ipV6(), (address) => isIPv6Address(address) && !isIPv4Address(address)));
    fc.assert(fc.property(fc.domain(), (name) => isDnsName(name)));
  });

  it('never accepts text with whitespace, a slash or a scheme', () => {
    fc.assert(
      fc.property(fc.string(), fc.constantFrom(' ', '\t', '/', 'https://'), fc.string(), (before, bad, after) => {
        return !isHostAddress(`${before}${bad}${after}`);
      }),
    );
  });
});
