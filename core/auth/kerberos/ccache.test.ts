import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../errors';
import type { Principal } from './asn1';
import { CredentialCacheFormatError, findTicketGrantingTicket, parseCredentialCache } from './ccache';
import type { KerberosCredential } from './credentials';

/** Writes an MIT FILE ccache the way krb5's cc_file.c does (big-endian, versions 3 and 4). */
class CacheWriter {
  readonly bytes: number[] = [];
  u8 = (value: number) => this.bytes.push(value & 0xff);
  u16 = (value: number) => this.bytes.push((value >> 8) & 0xff, value & 0xff);
  u32 = (value: number) => {
    this.u16(Math.floor(value / 65536));
    this.u16(value & 0xffff);
  };
  data = (value: Uint8Array | string) => {
    const bytes = typeof value === 'string' ? new TextEncoder().encode(value) : value;
    this.u32(bytes.length);
    this.bytes.push(...bytes);
  };
  principal = (principal: Principal) => {
    this.u32(principal.nameType);
    this.u32(principal.components.length);
    this.data(principal.realm);
    principal.components.forEach((component) => this.data(component));
  };
  credential = (credential: KerberosCredential, version: 3 | 4) => {
    this.principal(credential.client);
    this.principal(credential.server);
    this.u16(credential.key.etype);
    if (version === 3) this.u16(credential.key.etype);
    this.data(credential.key.bytes);
    for (const time of [
      credential.authTime,
      credential.startTime ?? 0,
      credential.endTime,
      credential.renewTill ?? 0,
    ]) {
      this.u32(time / 1000);
    }
    this.u8(0);
    this.u32(credential.flags);
    this.u32(1); // one address
    this.u16(2);
    this.data(Uint8Array.of(127, 0, 0, 1));
    this.u32(0); // no authorization data
    this.data(credential.ticket);
    this.data(new Uint8Array());
  };
}

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
const alice: Principal = { nameType: 1, components: ['alice'], realm: 'LAB.TEST' };
const krbtgt: Principal = { nameType: 2, components: ['krbtgt', 'LAB.TEST'], realm: 'LAB.TEST' };
const credential = (server: Principal, endTime: number): KerberosCredential => ({
  client: alice,
  server,
  key: { etype: 18, bytes: new Uint8Array(32).fill(7) },
  ticket: Uint8Array.of(0x61, 0x00),
  flags: 0x40e10000,
  authTime: NOW - 3600_000,
  startTime: NOW - 3600_000,
  endTime,
  renewTill: undefined,
});

function cache(version: 3 | 4, credentials: readonly KerberosCredential[]): Uint8Array {
  const writer = new CacheWriter();
  writer.u16(version === 4 ? 0x0504 : 0x0503);
  if (version === 4) {
    writer.u16(12); // header: tag 1 (KDC offset) of 8 bytes
    writer.u16(1);
    writer.u16(8);
    writer.u32(0xfffffffe); // −2 s
    writer.u32(500_000);
  }
  writer.principal(alice);
  for (const entry of credentials) writer.credential(entry, version);
  return Uint8Array.from(writer.bytes);
}

const config = credential(
  { nameType: 1, components: ['pa_type', 'krbtgt/LAB.TEST@LAB.TEST'], realm: 'X-CACHECONF:' },
  0,
);

describe('MIT FILE credential cache', () => {
  it.each([3, 4] as const)('parses version %i: default principal, credentials, times and flags', (version) => {
    const tgt = credential(krbtgt, NOW + 3600_000);
    const parsed = parseCredentialCache(cache(version, [config, tgt]));
    expect(parsed.version).toBe(version);
    expect(parsed.defaultPrincipal).toEqual(alice);
    expect(parsed.credentials).toEqual([tgt]);
    expect(parsed.kdcTimeOffset).toBe(version === 4 ? -1500 : undefined);
  });

  it('finds the valid TGT of the default principal, skipping expired ones and service tickets', () => {
    const expired = credential(krbtgt, NOW - 1);
    const service = credential({ nameType: 2, components: ['HTTP', 'h'], realm: 'LAB.TEST' }, NOW + 3600_000);
    const valid = credential(krbtgt, NOW + 60_000);
    const parsed = parseCredentialCache(cache(4, [expired, service, valid]));
    expect(findTicketGrantingTicket(parsed, NOW)).toEqual(valid);
    expect(findTicketGrantingTicket(parsed, NOW + 120_000)).toBeUndefined();
  });

  it('refuses other formats and truncation, and counts it cannot hold, with typed errors', () => {
    expect(() => parseCredentialCache(Uint8Array.of(0x05, 0x02))).toThrow(/format 0x0502/);
    const whole = cache(4, [credential(krbtgt, NOW)]);
    expect(() => parseCredentialCache(whole.subarray(0, whole.length - 3))).toThrow(CredentialCacheFormatError);
    const hugeCount = Uint8Array.of(0x05, 0x04, 0, 0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff);
    expect(() => parseCredentialCache(hugeCount)).toThrow(/claims 4294967295 name components/);
  });

  it('fails only with typed errors on corrupt input', () => {
    const whole = cache(4, [credential(krbtgt, NOW)]);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: whole.length - 1 }), fc.integer({ min: 1, max: 255 }), (index, flip) => {
        const corrupt = whole.slice();
        corrupt[index]! ^= flip;
        try {
          parseCredentialCache(corrupt);
        } catch (error) {
          expect(error).toBeInstanceOf(ProtocolError);
        }
      }),
    );
  });
});
