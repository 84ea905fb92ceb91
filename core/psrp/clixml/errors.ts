import { ProtocolError } from '../../errors';

/** CLIXML from the peer is malformed, exceeds a limit, or uses a construct PSRP does not allow. */
export class ClixmlError extends ProtocolError {
  override readonly name = 'ClixmlError';
}
