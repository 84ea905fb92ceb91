import { createHash } from 'node:crypto';

/**
 * The MD5 of a gss_channel_bindings_struct with no addresses and the given application data (RFC 5929
 * tls-server-end-point: `tls-server-end-point:` ‖ certificate hash): four zero u32 (initiator and
 * acceptor address types and lengths), the application data length (u32 LE), the data. NTLM sends it
 * as MsvAvChannelBindings and Kerberos as Bnd in its 0x8003 checksum (PROTOCOL.md §4.5); both send
 * 16 zero bytes when there are no bindings (plain HTTP), as Windows does.
 */
export function channelBindingsHash(applicationData: Uint8Array | undefined): Uint8Array {
  if (applicationData === undefined) return new Uint8Array(16);
  const header = new Uint8Array(20);
  new DataView(header.buffer).setUint32(16, applicationData.length, true);
  return createHash('md5').update(header).update(applicationData).digest();
}
