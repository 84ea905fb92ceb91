import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * The opening handshake of RFC 6455 §4.2 on the bridge's terms: besides a well-formed upgrade, the
 * request must name this server (Host, against DNS rebinding), come from its own page (Origin) and carry
 * the run's token. Browsers cannot forge Origin; other local programs can, which is why the token exists.
 */

const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export function websocketAcceptValue(key: string): string {
  return createHash('sha1').update(`${key}${WEBSOCKET_GUID}`).digest('base64');
}

export interface UpgradeExpectations {
  /** `127.0.0.1:<port>`. */
  readonly host: string;
  /** `http://127.0.0.1:<port>`. */
  readonly origin: string;
  readonly path: string;
  readonly token: string;
}

export interface UpgradeRequest {
  readonly method?: string | undefined;
  readonly url?: string | undefined;
  readonly headers: IncomingHttpHeaders;
}

export type UpgradeCheck =
  | { readonly ok: true; readonly acceptValue: string }
  | { readonly ok: false; readonly status: 400 | 403 | 404 | 426; readonly reason: string };

export function checkUpgradeRequest(request: UpgradeRequest, expected: UpgradeExpectations): UpgradeCheck {
  const { headers } = request;
  if (request.method !== 'GET') return refuse(400, 'the upgrade request is not a GET');
  const url = new URL(request.url ?? '/', 'http://upgrade.invalid');
  if (url.pathname !== expected.path) return refuse(404, `no WebSocket endpoint at ${url.pathname}`);
  if (headers.host !== expected.host) return refuse(403, `unexpected Host header ${JSON.stringify(headers.host)}`);
  if (headers.origin !== expected.origin) return refuse(403, `unexpected Origin ${JSON.stringify(headers.origin)}`);
  if (!sameSecret(url.searchParams.get('token') ?? '', expected.token)) return refuse(403, 'missing or wrong token');
  if (headers.upgrade?.toLowerCase() !== 'websocket') return refuse(400, 'the Upgrade header is not websocket');
  const connection = (headers.connection ?? '').toLowerCase().split(',');
  if (!connection.some((token) => token.trim() === 'upgrade'))
    return refuse(400, 'the Connection header lacks upgrade');
  if (headers['sec-websocket-version'] !== '13') return refuse(426, 'only WebSocket version 13 is spoken');
  const key = headers['sec-websocket-key'] ?? '';
  if (!/^[A-Za-z0-9+/]{22}==$/.test(key)) return refuse(400, 'the Sec-WebSocket-Key is not 16 bytes of base64');
  return { ok: true, acceptValue: websocketAcceptValue(key) };
}

function refuse(status: 400 | 403 | 404 | 426, reason: string): UpgradeCheck {
  return { ok: false, status, reason };
}

/** Compares in time independent of where the strings differ (digests make the lengths equal). */
function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(expected)) && given.length > 0;
}
