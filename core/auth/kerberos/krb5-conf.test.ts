import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Krb5ConfSyntaxError, mergeKrb5Conf, parseKrb5Conf } from './krb5-conf';

const SAMPLE = `
# The lab's configuration, as helper-2's kdc.py writes it, with MIT's extras.
include /etc/krb5.local.conf
includedir /etc/krb5.conf.d/

[libdefaults]
 default_realm = LAB.TEST
 dns_lookup_kdc = false
 ; a comment
 forwardable = true

[realms]
 LAB.TEST = {
  kdc = 127.0.0.1:61088
  kdc = [::1]:61088 *
  admin_server = 127.0.0.1
  v4_name_convert = {
   host = {
    rcmd = host
   }
  }
 }
 OTHER.TEST = {
  kdc = kdc.other.test
 }

[domain_realm]
 .lab.test = LAB.TEST
`;

describe('krb5.conf', () => {
  it('reads default_realm, dns_lookup_kdc, the kdc entries of each realm and include directives', () => {
    const config = parseKrb5Conf(SAMPLE);
    expect(config.defaultRealm).toBe('LAB.TEST');
    expect(config.dnsLookupKdc).toBe(false);
    expect(config.realms.get('LAB.TEST')?.kdcs).toEqual(['127.0.0.1:61088', '[::1]:61088']);
    expect(config.realms.get('OTHER.TEST')?.kdcs).toEqual(['kdc.other.test']);
    expect(config.includes).toEqual([
      { kind: 'include', path: '/etc/krb5.local.conf' },
      { kind: 'includedir', path: '/etc/krb5.conf.d/' },
    ]);
  });

  it('merges files with the first one winning, and realms adding up', () => {
    const first = parseKrb5Conf('[libdefaults]\n default_realm = A.TEST\n[realms]\n A.TEST = {\n kdc = one\n }\n');
    const second = parseKrb5Conf(
      '[libdefaults]\n default_realm = B.TEST\n dns_lookup_kdc = yes\n[realms]\n A.TEST = {\n kdc = two\n }\n',
    );
    const merged = mergeKrb5Conf([first, second]);
    expect(merged.defaultRealm).toBe('A.TEST');
    expect(merged.dnsLookupKdc).toBe(true);
    expect(merged.realms.get('A.TEST')?.kdcs).toEqual(['one', 'two']);
  });

  it.each([
    ['kdc = x', 'relation before any [section]'],
    ['[realms]\n A = {\n kdc = x\n', 'ends inside braces'],
    ['[realms]\n}', 'unmatched }'],
    ['[realms]\n just words', 'expected "name = value"'],
  ])('refuses %j', (text, why) => {
    expect(() => parseKrb5Conf(text)).toThrow(Krb5ConfSyntaxError);
    expect(() => parseKrb5Conf(text)).toThrow(why);
  });

  it('fails only with its syntax error on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        try {
          parseKrb5Conf(text);
        } catch (error) {
          expect(error).toBeInstanceOf(Krb5ConfSyntaxError);
        }
      }),
    );
  });
});
