import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import { ProtocolError } from '../../core/errors';

/**
 * RFC 5929 §4 tls-server-end-point channel bindings (PROTOCOL.md §4.5): `tls-server-end-point:` followed by
 * a hash of the server's leaf certificate, the hash being the one of the certificate's signature algorithm,
 * except that MD5 and SHA-1 become SHA-256. RFC 5929 defines nothing for algorithms without a single hash
 * (Ed25519, Ed448) or for unknown ones; like pypsrp we use SHA-256 there.
 */

export type EndPointHash = 'sha224' | 'sha256' | 'sha384' | 'sha512';

const PREFIX = 'tls-server-end-point:';

/** The `application_data` a mechanism binds to (NTLM's MsvAvChannelBindings, Kerberos' 0x8003 checksum). */
export function tlsServerEndPoint(leafDer: Uint8Array): Uint8Array {
  const hash = endPointHash(leafDer);
  const digest = createHash(hash).update(leafDer).digest();
  return new Uint8Array(Buffer.concat([Buffer.from(PREFIX, 'ascii'), digest]));
}

const HASH_OIDS: Readonly<Record<string, EndPointHash | 'weak'>> = {
  '1.2.840.113549.2.5': 'weak', // md5
  '1.3.14.3.2.26': 'weak', // sha1
  '2.16.840.1.101.3.4.2.4': 'sha224',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

const SIGNATURE_HASHES: Readonly<Record<string, EndPointHash | 'weak'>> = {
  '1.2.840.113549.1.1.4': 'weak', // md5WithRSAEncryption
  '1.2.840.113549.1.1.5': 'weak', // sha1WithRSAEncryption
  '1.2.840.113549.1.1.14': 'sha224',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.1': 'weak', // ecdsa-with-SHA1
  '1.2.840.10045.4.3.1': 'sha224',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '1.2.840.10040.4.3': 'weak', // dsa-with-sha1
  '2.16.840.1.101.3.4.3.1': 'sha224', // dsa-with-sha224
  '2.16.840.1.101.3.4.3.2': 'sha256', // dsa-with-sha256
};
const RSASSA_PSS = '1.2.840.113549.1.1.10';

/** The hash RFC 5929 prescribes for this certificate. */
export function endPointHash(certificateDer: Uint8Array): EndPointHash {
  const { oid, parameters } = signatureAlgorithm(certificateDer);
  const hash = oid === RSASSA_PSS ? pssHash(parameters) : SIGNATURE_HASHES[oid];
  return hash === undefined || hash === 'weak' ? 'sha256' : hash;
}

/** RSASSA-PSS-params (RFC 4055): `[0] hashAlgorithm` defaults to SHA-1. */
function pssHash(parameters: DerElement | undefined): EndPointHash | 'weak' | undefined {
  if (parameters === undefined || parameters.tag !== 0x30) return 'weak';
  const hashField = children(parameters).find((field) => field.tag === 0xa0);
  if (hashField === undefined) return 'weak';
  const [algorithm] = children(hashField);
  const [oid] = algorithm === undefined ? [] : children(algorithm);
  if (oid?.tag !== 0x06) throw new ProtocolError('RSASSA-PSS parameters without a hash algorithm OID');
  return HASH_OIDS[decodeOid(oid.content)];
}

/** Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm AlgorithmIdentifier, signatureValue }. */
function signatureAlgorithm(der: Uint8Array): { oid: string; parameters: DerElement | undefined } {
  const certificate = readElement(der, 0);
  if (certificate.tag !== 0x30 || certificate.end !== der.length) throw new ProtocolError('not a DER certificate');
  const [, algorithm] = children(certificate);
  if (algorithm?.tag !== 0x30) throw new ProtocolError('the certificate has no signatureAlgorithm');
  const [oid, parameters] = children(algorithm);
  if (oid?.tag !== 0x06) throw new ProtocolError('the signatureAlgorithm has no OID');
  return { oid: decodeOid(oid.content), parameters };
}

interface DerElement {
  readonly tag: number;
  readonly content: Uint8Array;
  /** Offset just past the element in the buffer it was read from. */
  readonly end: number;
}

/** One DER TLV at `offset` (single-byte tags, definite lengths up to 4 bytes), bounds-checked. */
function readElement(bytes: Uint8Array, offset: number): DerElement {
  const tag = bytes[offset];
  let length = bytes[offset + 1];
  if (tag === undefined || length === undefined || (tag & 0x1f) === 0x1f) throw new ProtocolError('truncated DER');
  let cursor = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4) throw new ProtocolError('unsupported DER length');
    length = 0;
    for (let index = 0; index < count; index++) {
      const byte = bytes[cursor++];
      if (byte === undefined) throw new ProtocolError('truncated DER length');
      length = length * 256 + byte;
    }
  }
  if (cursor + length > bytes.length) throw new ProtocolError('a DER element runs past its container');
  return { tag, content: bytes.subarray(cursor, cursor + length), end: cursor + length };
}

function children(element: DerElement): DerElement[] {
  const list: DerElement[] = [];
  for (let offset = 0; offset < element.content.length;) {
    const child = readElement(element.content, offset);
    list.push(child);
    offset = child.end;
  }
  return list;
}

function decodeOid(content: Uint8Array): string {
  const arcs: number[] = [];
  let value = 0;
  for (const byte of content) {
    value = value * 128 + (byte & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER / 128) throw new ProtocolError('an OID arc is too large');
    if ((byte & 0x80) === 0) {
      arcs.push(value);
      value = 0;
    }
  }
  const first = arcs.shift();
  if (first === undefined) throw new ProtocolError('empty OID');
  const top = first < 80 ? Math.floor(first / 40) : 2;
  return [top, first - top * 40, ...arcs].join('.');
}
