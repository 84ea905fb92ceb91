import { promises as dns } from 'node:dns';
import type { Krb5Conf } from '../../core/auth/kerberos/krb5-conf';
import { parseKdcAddress, type KdcAddress } from './kdc-transport';

/**
 * Where the KDCs of a realm are, in the order MIT looks: an explicit option, the realm's `kdc` entries in
 * krb5.conf, then DNS SRV records `_kerberos._tcp.<REALM>` (unless krb5.conf says dns_lookup_kdc = false or
 * the caller turns it off).
 */
export interface KdcLocation {
  /** `host[:port]` given by the user; wins over everything. */
  readonly explicit: readonly string[] | undefined;
  readonly config: Krb5Conf | undefined;
  /** undefined: follow krb5.conf's dns_lookup_kdc (true when unset). */
  readonly dnsSrvLookup: boolean | undefined;
}

export type SrvResolver = (
  name: string,
) => Promise<readonly { name: string; port: number; priority: number; weight: number }[]>;

export async function locateKdcs(
  realm: string,
  location: KdcLocation,
  resolveSrv: SrvResolver = (name) => dns.resolveSrv(name),
): Promise<KdcAddress[]> {
  if (location.explicit !== undefined && location.explicit.length > 0) return location.explicit.map(parseKdcAddress);
  const configured = location.config?.realms.get(realm)?.kdcs ?? [];
  if (configured.length > 0) return configured.map(parseKdcAddress);
  if (!(location.dnsSrvLookup ?? location.config?.dnsLookupKdc ?? true)) return [];
  try {
    const records = await resolveSrv(`_kerberos._tcp.${realm}`);
    return [...records]
      .filter((record) => record.name !== '.' && record.name !== '')
      .sort((a, b) => a.priority - b.priority || b.weight - a.weight)
      .map((record) => ({ host: record.name, port: record.port }));
  } catch {
    return [];
  }
}
