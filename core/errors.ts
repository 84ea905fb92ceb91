/**
 * The two families of failure the protocol core reports, kept apart so a caller can tell
 * "this program used the API wrongly" from "the peer broke the protocol".
 */

/** Local misuse: an action the caller should never have attempted. A bug in our code, not the peer's. */
export class UsageError extends Error {
  override readonly name: string = 'UsageError';
}

/** The peer sent something the protocol does not allow (malformed, out of order, lying about lengths). */
export class ProtocolError extends Error {
  override readonly name: string = 'ProtocolError';
}

/** An action attempted in a state whose transition table has no entry for it. */
export class InvalidStateError extends UsageError {
  override readonly name = 'InvalidStateError';

  constructor(
    readonly machine: string,
    readonly action: string,
    readonly state: string,
    readonly allowed: readonly string[],
  ) {
    super(
      `${machine}: cannot ${action} in state ${state}; allowed in: ${allowed.length > 0 ? allowed.join(', ') : 'no state'}`,
    );
  }
}
