import { describe, expect, it } from 'vitest';
import { parseKrb5Conf } from '../../core/auth/kerberos/krb5-conf';
import { locateKdcs, type SrvResolver } from './kdc-locator';

const config = parseKrb5Conf(
  '[libdefaults]\n dns_lookup_kdc = false\n[realms]\n LAB.TEST = {\n  kdc = 127.0.0.1:61088\n }\n',
);
/** A resolver that records the names asked for; no DNS traffic leaves the test. */
const recording = (records: Awaited<ReturnType<SrvResolver>>) => {
  const asked: string[] = [];
  const resolve: SrvResolver = async (name) => {
    asked.push(name);
    return records;
  };
  return { asked, resolve };
};

describe('KDC location', () => {
  it('prefers the explicit option, then krb5.conf', async () => {
    expect(await locateKdcs('LAB.TEST', { explicit: ['kdc.example:750'], config, dnsSrvLookup: true })).toEqual([
      { host: 'kdc.example', port: 750 },
    ]);
    expect(await locateKdcs('LAB.TEST', { explicit: undefined, config, dnsSrvLookup: true })).toEqual([
      { host: '127.0.0.1', port: 61088 },
    ]);
  });

  it('asks DNS for _kerberos._tcp.REALM, ordered by priority then weight', async () => {
    const { asked, resolve } = recording([
      { name: 'b.corp.test', port: 88, priority: 10, weight: 50 },
      { name: 'a.corp.test', port: 88, priority: 0, weight: 10 },
      { name: 'c.corp.test', port: 88, priority: 10, weight: 90 },
    ]);
    const found = await locateKdcs(
      'CORP.TEST',
      { explicit: undefined, config: undefined, dnsSrvLookup: undefined },
      resolve,
    );
    expect(asked).toEqual(['_kerberos._tcp.CORP.TEST']);
    expect(found.map((address) => address.host)).toEqual(['a.corp.test', 'c.corp.test', 'b.corp.test']);
  });

  it('does not ask DNS when krb5.conf or the caller says not to', async () => {
    const { asked, resolve } = recording([]);
    expect(await locateKdcs('OTHER.TEST', { explicit: undefined, config, dnsSrvLookup: undefined }, resolve)).toEqual(
      [],
    );
    expect(
      await locateKdcs('OTHER.TEST', { explicit: undefined, config: undefined, dnsSrvLookup: false }, resolve),
    ).toEqual([]);
    expect(asked).toEqual([]);
  });
});
