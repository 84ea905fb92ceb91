import { ProtocolError } from '../../errors';

/** An NTLM message from the server is malformed: wrong signature or type, a field outside the message… */
export class NtlmMessageError extends ProtocolError {
  override readonly name = 'NtlmMessageError';
}

/** A sealed or signed message from the server does not verify: wrong key, sequence number or tampering. */
export class NtlmIntegrityError extends ProtocolError {
  override readonly name = 'NtlmIntegrityError';
}
