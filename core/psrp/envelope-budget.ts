import { UsageError } from '../errors';
import { FRAGMENT_HEADER_BYTES } from './fragment';

/**
 * How many PSRP bytes fit in one WS-Man message (PROTOCOL.md §1.10). The limit MaxEnvelopeSize
 * applies to the SOAP envelope; PSRP fragments ride in it base64-encoded.
 */

/** MaxEnvelopeSize to assume before the server's protocol version is known (WinRM 2.0 default, 150 KiB). */
export const INITIAL_MAX_ENVELOPE_SIZE = 153_600;
/** MaxEnvelopeSize once the server reports protocolversion ≥ 2.2 (500 KiB default). */
export const PROTOCOL_2_2_MAX_ENVELOPE_SIZE = 512_000;

/** Slack kept free for header variations not in the measured overhead (pypsrp uses the same 256). */
const ENVELOPE_SLACK = 256;

/**
 * Largest raw payload (before base64) for one Send/Command/creationXml, given MaxEnvelopeSize and
 * `envelopeOverhead`: the length of the same envelope serialized with an empty payload. The room
 * left is rounded down to whole base64 quanta, so the encoded payload always fits.
 */
export function maxPayloadBytes(maxEnvelopeSize: number, envelopeOverhead: number): number {
  if (!Number.isSafeInteger(maxEnvelopeSize) || !Number.isSafeInteger(envelopeOverhead) || envelopeOverhead < 0) {
    throw new UsageError('envelope sizes must be non-negative integers');
  }
  const payload = Math.floor((maxEnvelopeSize - envelopeOverhead - ENVELOPE_SLACK) / 4) * 3;
  if (payload <= FRAGMENT_HEADER_BYTES) {
    throw new UsageError(
      `MaxEnvelopeSize ${maxEnvelopeSize} leaves no room for PSRP data after ${envelopeOverhead} bytes of envelope`,
    );
  }
  return payload;
}

/**
 * Largest fragment blob a peer can fit in an envelope of `maxEnvelopeSize` (its base64 cannot be
 * longer than the envelope): the Defragmenter's `maxFragmentBlobBytes` for a negotiated size.
 */
export function maxIncomingBlobBytes(maxEnvelopeSize: number): number {
  return Math.floor(maxEnvelopeSize / 4) * 3;
}
