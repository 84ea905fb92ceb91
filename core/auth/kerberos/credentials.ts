/**
 * A Kerberos credential: a ticket with its session key and what the KDC said of it, as the KDC
 * returns it in a KDC-REP and as MIT's credential cache stores it.
 */

import type { KerberosKey } from './crypto/enctypes';
import { NameType, type Principal } from './asn1';

export interface KerberosCredential {
  readonly client: Principal;
  readonly server: Principal;
  readonly key: KerberosKey;
  /** The DER of the Ticket ([APPLICATION 1]), opaque to the client. */
  readonly ticket: Uint8Array;
  /** TicketFlags (bit 0 most significant). */
  readonly flags: number;
  readonly authTime: number;
  readonly startTime: number | undefined;
  readonly endTime: number;
  readonly renewTill: number | undefined;
}

/** The ticket-granting service of `realm` (krbtgt/REALM@REALM). */
export const ticketGrantingService = (realm: string): Principal => ({
  nameType: NameType.serviceInstance,
  components: ['krbtgt', realm],
  realm,
});

/** Whether `credential` is a ticket-granting ticket for its client's realm. */
export const isTicketGrantingTicket = (credential: KerberosCredential): boolean =>
  credential.server.components.length === 2 &&
  credential.server.components[0] === 'krbtgt' &&
  credential.server.components[1] === credential.client.realm &&
  credential.server.realm === credential.client.realm;
