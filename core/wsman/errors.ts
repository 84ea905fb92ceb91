import { ProtocolError } from '../errors';

/** The bytes are not a well-formed, namespace-valid XML document we accept (or they exceed a limit). */
export class MalformedXmlError extends ProtocolError {
  override readonly name = 'MalformedXmlError';
}

/** Well-formed XML that is not the SOAP envelope the operation calls for. */
export class MalformedResponseError extends ProtocolError {
  override readonly name: string = 'MalformedResponseError';
}

/** The response's wsa:RelatesTo does not name the request it answers (PROTOCOL.md §1.3, §9 item 20). */
export class RelatesToMismatchError extends MalformedResponseError {
  override readonly name = 'RelatesToMismatchError';

  constructor(
    readonly expected: string,
    readonly actual: string | undefined,
  ) {
    super(`response RelatesTo ${actual ?? '(missing)'} does not match request MessageID ${expected}`);
  }
}
