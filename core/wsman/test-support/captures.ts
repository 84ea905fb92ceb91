import { Namespace } from '../namespaces';
import type { AnyWSManRequest } from '../requests';
import { Action, type WSManOperation } from '../uris';
import { parseXml } from '../xml-reader';
import { parseYaml, type YamlValue } from './capture-yaml';

/**
 * The recorded Windows exchanges of `../shared/captures/windows` (captures/README.md), as typed
 * records. Test-only; the test files read the bytes, this module only interprets them.
 */

/** The capture folder, beside the repository as README.md describes. */
export const CAPTURES_DIRECTORY = new URL('../../../../shared/captures/windows/', import.meta.url);

export interface CaptureOverride {
  /** A prefixed element path such as `s:Body/rsp:Receive/rsp:DesiredStream`. */
  readonly path: string;
  readonly attributes: Readonly<Record<string, string>>;
}

export interface CapturedExchange {
  readonly request: string;
  /** Absent when the exchange failed below HTTP (`http_error`). */
  readonly response: string | undefined;
  /** HTTP status when it was not 200, e.g. 500 with a fault body. */
  readonly httpStatus: number | undefined;
  readonly overrides: readonly CaptureOverride[];
}

export function readCapture(yaml: string): CapturedExchange[] {
  const document = parseYaml(yaml);
  const messages = isRecord(document) ? document['messages'] : undefined;
  if (!Array.isArray(messages)) throw new Error('capture has no messages list');
  return messages.map((message, index) => {
    if (!isRecord(message) || typeof message['request'] !== 'string') {
      throw new Error(`capture message ${index} has no request`);
    }
    const response = message['response'];
    const transportError = message['transport_error'];
    const overrides = message['overrides'];
    return {
      request: message['request'],
      response: typeof response === 'string' ? response : undefined,
      httpStatus:
        isRecord(transportError) && typeof transportError['code'] === 'number' ? transportError['code'] : undefined,
      overrides: Array.isArray(overrides) ? overrides.map(readOverride) : [],
    };
  });
}

function readOverride(value: YamlValue): CaptureOverride {
  if (!isRecord(value) || typeof value['path'] !== 'string' || !isRecord(value['attributes'])) {
    throw new Error('malformed capture override');
  }
  const attributes: Record<string, string> = {};
  for (const [name, attribute] of Object.entries(value['attributes'])) attributes[name] = String(attribute);
  return { path: value['path'], attributes };
}

function isRecord(value: YamlValue | undefined): value is { [key: string]: YamlValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The operation and MessageID of a recorded request, so parseResponse can check its recorded answer. */
export function recordedRequest(requestXml: string): AnyWSManRequest {
  const header = parseXml(requestXml).children.find((child) => child.localName === 'Header');
  const text = (localName: string) =>
    header?.children.find((child) => child.namespace === Namespace.addressing && child.localName === localName)?.text;
  const action = text('Action');
  const operation = (Object.keys(Action) as WSManOperation[]).find((name) => Action[name] === action);
  const messageId = text('MessageID')?.replace(/^uuid:/, '');
  if (operation === undefined || messageId === undefined) throw new Error(`unrecognised recorded request ${action}`);
  return { operation, messageId, envelope: new TextEncoder().encode(requestXml) } as AnyWSManRequest;
}
