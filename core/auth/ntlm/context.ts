import { RawGssContext } from '../raw-gss-context';
import { NtlmInitiator, type NtlmOptions } from './initiator';

/**
 * Raw NTLM in the HTTP `Negotiate` scheme (PROTOCOL.md §4.1): Windows accepts a bare NTLMSSP token
 * there and answers with a bare CHALLENGE, which spares SPNEGO's mechListMIC. Two legs: NEGOTIATE
 * (→ 401 with CHALLENGE), then AUTHENTICATE (→ 200); the first sealed message uses sequence number 0.
 */
export class NtlmContext extends RawGssContext<NtlmInitiator> {
  constructor(options: NtlmOptions) {
    super(new NtlmInitiator(options), 'Negotiate');
  }
}
