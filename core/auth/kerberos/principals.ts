/**
 * Principal names from what the user types and from the host connected to: `alice@lab.test` (UPN
 * form; the realm is the upper-cased suffix), `alice` or `LAB\alice` (the realm comes from the
 * options or krb5.conf's default_realm, since a NetBIOS domain name is not a realm), and the SPNs
 * tried for a host: `HTTP/<host>` first, then `host/` and `WSMAN/` (PROTOCOL.md §6.1).
 */

import { UsageError } from '../../errors';
import { NameType, type Principal } from './asn1';

export const DEFAULT_SERVICE_CLASSES = ['HTTP', 'host', 'WSMAN'] as const;

export function parseUserPrincipal(user: string, defaultRealm: string | undefined): Principal {
  let name = user.trim();
  let realm: string | undefined;
  const at = name.lastIndexOf('@');
  const backslash = name.indexOf('\\');
  if (at > 0) {
    realm = name.slice(at + 1).toUpperCase();
    name = name.slice(0, at);
  } else if (backslash > 0) {
    name = name.slice(backslash + 1);
  }
  realm ??= defaultRealm?.toUpperCase();
  if (name === '' || realm === undefined || realm === '') {
    throw new UsageError(
      `cannot tell the Kerberos realm of ${JSON.stringify(user)}: give the user as user@REALM ` +
        `(for example alice@CORP.EXAMPLE.COM) or set a default realm`,
    );
  }
  return { nameType: NameType.principal, components: name.split('/'), realm };
}

/** The SPNs to try for `host` in `realm`, in order. SPN host parts are lower case (MIT compares exactly). */
export const servicePrincipals = (
  host: string,
  realm: string,
  serviceClasses: readonly string[] = DEFAULT_SERVICE_CLASSES,
): Principal[] =>
  serviceClasses.map((service) => ({
    nameType: NameType.serviceInstance,
    components: [service, host.toLowerCase().replace(/\.$/, '')],
    realm,
  }));
