/**
 * pubKeyAuth: how CredSSP binds the inner authentication to the TLS channel (MS-CSSP 3.1.5; PROTOCOL.md
 * §5.4). The client does not validate the server's TLS certificate; instead both sides prove, under the
 * inner security context, that they see the same certificate public key, so a machine in the middle with
 * its own certificate is caught before the password is delegated.
 */

import { createHash, timingSafeEqual } from 'node:crypto';
import { Asn1Error, decodeBitString, readSequence, readSingleElement } from '../asn1/der';
import { CredSspBindingError } from './errors';

/** From this negotiated version on the binding is a hash over the client nonce (the CVE-2018-0886 fix). */
export const NONCE_BINDING_VERSION = 5;
export const CLIENT_NONCE_BYTES = 32;

// Both magic strings include their terminating NUL.
const CLIENT_TO_SERVER = new TextEncoder().encode('CredSSP Client-To-Server Binding Hash\0');
const SERVER_TO_CLIENT = new TextEncoder().encode('CredSSP Server-To-Client Binding Hash\0');

/**
 * The contents of the subjectPublicKey BIT STRING of an X.509 certificate (DER): for RSA the PKCS#1
 * RSAPublicKey, for EC the point. This, not the whole SubjectPublicKeyInfo, is what pubKeyAuth covers.
 */
export function subjectPublicKey(certificateDer: Uint8Array): Uint8Array {
  const certificate = readSequence(readSingleElement(certificateDer), 'Certificate');
  const tbs = readSequence(certificate.next(), 'TBSCertificate');
  tbs.optionalExplicit(0); // version
  for (let field = 0; field < 5; field++) tbs.next(); // serialNumber, signature, issuer, validity, subject
  const spki = readSequence(tbs.next(), 'SubjectPublicKeyInfo');
  readSequence(spki.next(), 'AlgorithmIdentifier');
  const { unusedBits, bytes } = decodeBitString(spki.next());
  spki.end();
  if (unusedBits !== 0 || bytes.length === 0) throw new Asn1Error('SubjectPublicKeyInfo: no whole public key bytes');
  return bytes;
}

/** What the client wraps into its pubKeyAuth. */
export function clientBindingValue(version: number, publicKey: Uint8Array, nonce: Uint8Array | undefined): Uint8Array {
  if (version >= NONCE_BINDING_VERSION) return bindingHash(CLIENT_TO_SERVER, requireNonce(nonce), publicKey);
  return publicKey;
}

/** What the server's pubKeyAuth must unwrap to: the other direction's hash, or before version 5 the key with its first byte plus one. */
export function serverBindingValue(version: number, publicKey: Uint8Array, nonce: Uint8Array | undefined): Uint8Array {
  if (version >= NONCE_BINDING_VERSION) return bindingHash(SERVER_TO_CLIENT, requireNonce(nonce), publicKey);
  const incremented = Uint8Array.from(publicKey);
  incremented[0] = (publicKey[0]! + 1) & 0xff;
  return incremented;
}

/** Throws CredSspBindingError unless the server's unwrapped pubKeyAuth is the value expected of it. */
export function verifyServerBinding(
  version: number,
  publicKey: Uint8Array,
  nonce: Uint8Array | undefined,
  received: Uint8Array,
): void {
  const expected = serverBindingValue(version, publicKey, nonce);
  if (received.length !== expected.length || !timingSafeEqual(received, expected)) {
    throw new CredSspBindingError(
      "the server's pubKeyAuth does not match the public key of the certificate its TLS session presented: " +
        'a machine in the middle may be intercepting the connection, so the password was not sent',
    );
  }
}

function bindingHash(magic: Uint8Array, nonce: Uint8Array, publicKey: Uint8Array): Uint8Array {
  return createHash('sha256').update(magic).update(nonce).update(publicKey).digest();
}

function requireNonce(nonce: Uint8Array | undefined): Uint8Array {
  if (nonce === undefined)
    throw new RangeError(`CredSSP version ${NONCE_BINDING_VERSION} and later need a client nonce`);
  return nonce;
}
