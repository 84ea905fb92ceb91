/**
 * MIT's FILE credential cache, versions 3 and 4 (big-endian; MIT "ccache file format"), parsed from
 * bytes so that `kinit` users need no password: the default principal and every credential, of
 * which the ticket-granting ticket starts the TGS exchange. Configuration entries (realm
 * `X-CACHECONF:`) are skipped. Every length is checked against the bytes left before use, so a
 * corrupt or hostile file costs no more memory than its own size.
 */

import { ProtocolError } from '../../errors';
import type { Principal } from './asn1';
import { isTicketGrantingTicket, type KerberosCredential } from './credentials';

export class CredentialCacheFormatError extends ProtocolError {
  override readonly name = 'CredentialCacheFormatError';
}

export interface CredentialCache {
  readonly version: 3 | 4;
  readonly defaultPrincipal: Principal;
  readonly credentials: readonly KerberosCredential[];
  /** The KDC's clock minus ours, as kinit measured it (v4 header tag 1), in milliseconds. */
  readonly kdcTimeOffset: number | undefined;
}

const CONFIG_REALM = 'X-CACHECONF:';
const HEADER_TAG_KDC_OFFSET = 1;

class Cursor {
  #offset = 0;
  constructor(private readonly bytes: Uint8Array) {}

  get done(): boolean {
    return this.#offset >= this.bytes.length;
  }

  take(length: number, what: string): Uint8Array {
    if (length > this.bytes.length - this.#offset) {
      throw new CredentialCacheFormatError(`credential cache truncated in ${what} at offset ${this.#offset}`);
    }
    const slice = this.bytes.subarray(this.#offset, this.#offset + length);
    this.#offset += length;
    return slice;
  }

  #view(length: number, what: string): DataView {
    const slice = this.take(length, what);
    return new DataView(slice.buffer, slice.byteOffset, length);
  }

  u8 = (what: string): number => this.#view(1, what).getUint8(0);
  u16 = (what: string): number => this.#view(2, what).getUint16(0);
  u32 = (what: string): number => this.#view(4, what).getUint32(0);
  s32 = (what: string): number => this.#view(4, what).getInt32(0);

  /** A u32 count of items each at least `minimumSize` bytes: refused when the rest cannot hold them. */
  count(what: string, minimumSize: number): number {
    const count = this.u32(what);
    if (count * minimumSize > this.bytes.length - this.#offset) {
      throw new CredentialCacheFormatError(`credential cache claims ${count} ${what}`);
    }
    return count;
  }

  data = (what: string): Uint8Array => this.take(this.u32(`${what} length`), what);
  text = (what: string): string => new TextDecoder().decode(this.data(what));
}

function readPrincipal(cursor: Cursor): Principal {
  const nameType = cursor.u32('name type');
  const count = cursor.count('name components', 4);
  const realm = cursor.text('realm');
  const components: string[] = [];
  for (let index = 0; index < count; index++) components.push(cursor.text('name component'));
  return { nameType, components, realm };
}

function skipTagged(cursor: Cursor, what: string): void {
  const count = cursor.count(what, 6);
  for (let index = 0; index < count; index++) {
    cursor.u16(`${what} type`);
    cursor.data(what);
  }
}

const seconds = (value: number): number => value * 1000;

function readCredential(cursor: Cursor, version: 3 | 4): KerberosCredential {
  const client = readPrincipal(cursor);
  const server = readPrincipal(cursor);
  const etype = cursor.u16('key type');
  if (version === 3) cursor.u16('key type (repeated in version 3)');
  const key = { etype, bytes: cursor.data('key').slice() };
  const authTime = seconds(cursor.u32('authtime'));
  const startTime = cursor.u32('starttime');
  const endTime = seconds(cursor.u32('endtime'));
  const renewTill = cursor.u32('renew-till');
  cursor.u8('is_skey');
  const flags = cursor.u32('ticket flags');
  skipTagged(cursor, 'addresses');
  skipTagged(cursor, 'authorization data');
  const ticket = cursor.data('ticket').slice();
  cursor.data('second ticket');
  return {
    client,
    server,
    key,
    ticket,
    flags,
    authTime,
    startTime: startTime === 0 ? undefined : seconds(startTime),
    endTime,
    renewTill: renewTill === 0 ? undefined : seconds(renewTill),
  };
}

export function parseCredentialCache(bytes: Uint8Array): CredentialCache {
  const cursor = new Cursor(bytes);
  const format = cursor.u16('format version');
  if (format !== 0x0503 && format !== 0x0504) {
    throw new CredentialCacheFormatError(
      `not an MIT credential cache of version 3 or 4 (format 0x${format.toString(16).padStart(4, '0')})`,
    );
  }
  const version = format === 0x0504 ? 4 : 3;
  let kdcTimeOffset: number | undefined;
  if (version === 4) {
    const header = new Cursor(cursor.take(cursor.u16('header length'), 'header'));
    while (!header.done) {
      const tag = header.u16('header tag');
      const field = new Cursor(header.take(header.u16('header field length'), 'header field'));
      if (tag === HEADER_TAG_KDC_OFFSET) {
        kdcTimeOffset =
          field.s32('KDC offset seconds') * 1000 + Math.trunc(field.s32('KDC offset microseconds') / 1000);
      }
    }
  }
  const defaultPrincipal = readPrincipal(cursor);
  const credentials: KerberosCredential[] = [];
  while (!cursor.done) {
    const credential = readCredential(cursor, version);
    if (credential.server.realm !== CONFIG_REALM) credentials.push(credential);
  }
  return { version, defaultPrincipal, credentials, kdcTimeOffset };
}

/** The default principal's TGT for its own realm that is valid at `now`, if the cache has one. */
export function findTicketGrantingTicket(cache: CredentialCache, now: number): KerberosCredential | undefined {
  const owner = cache.defaultPrincipal;
  return cache.credentials.find(
    (credential) =>
      isTicketGrantingTicket(credential) &&
      credential.client.realm === owner.realm &&
      credential.client.components.join('/') === owner.components.join('/') &&
      credential.endTime > now &&
      (credential.startTime ?? credential.authTime) <= now + 5 * 60 * 1000,
  );
}
