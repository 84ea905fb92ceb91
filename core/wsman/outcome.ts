import { WSManFault } from './fault';
import type { WSManRequest } from './requests';
import { parseResponse, type ResultOf } from './response';
import type { WSManOperation } from './uris';

/** A response read as the machines need it: the typed result, or the server's fault as a value. */
export type Outcome<T> = { readonly ok: true; readonly result: T } | { readonly ok: false; readonly fault: WSManFault };

/**
 * parseResponse for state machines: the server's fault comes back as a value beside the result;
 * protocol violations still throw (they end the session).
 */
export function outcomeOf<O extends WSManOperation>(
  request: WSManRequest<O>,
  response: Uint8Array | string,
): Outcome<ResultOf[O]> {
  try {
    return { ok: true, result: parseResponse(request, response) };
  } catch (error) {
    if (error instanceof WSManFault) return { ok: false, fault: error };
    throw error;
  }
}
