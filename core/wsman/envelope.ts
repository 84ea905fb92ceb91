import { UsageError } from '../errors';
import { formatDuration } from './duration';
import { Namespace, requestPrefixes } from './namespaces';
import { ANONYMOUS_ADDRESS } from './uris';
import { xmlAttribute, xmlElement, type XmlElement } from './xml-element';
import { serializeXml } from './xml-writer';

/** What stays the same across the requests of one client session (PROTOCOL.md §1.3). */
export interface WSManContext {
  /** The endpoint URL for wsa:To, e.g. `https://host:5986/wsman`; an IPv6 literal is already bracketed. */
  readonly to: string;
  /** A GUID, constant for the session: Reconnect after Disconnect only works with the same one. */
  readonly sessionId?: string;
  /** wsman:MaxEnvelopeSize in bytes (153600 = 150 KiB, 512000 = 500 KiB). */
  readonly maxEnvelopeSize: number;
  /** wsman:OperationTimeout; a Receive long-polls this long before the server answers with a timeout fault. */
  readonly operationTimeoutMs: number;
  /** xml:lang of wsman:Locale; 'en-US' when absent. */
  readonly locale?: string;
  /** xml:lang of wsmv:DataLocale; the locale when absent. */
  readonly dataLocale?: string;
}

export interface WSManSelector {
  readonly name: string;
  readonly value: string;
}

export interface WSManOption {
  readonly name: string;
  readonly value: string;
  readonly mustComply?: boolean;
}

/** The per-request part of the header. */
export interface RequestHeader {
  readonly action: string;
  readonly resourceUri: string;
  /** A GUID; written as `uuid:` + upper case, and the response's RelatesTo must name it. */
  readonly messageId: string;
  readonly selectors?: readonly WSManSelector[];
  readonly options?: readonly WSManOption[];
  /**
   * A GUID naming the operation for Robust Connections (MS-WSMV 3.1.4.1.39): a supporting server remembers its
   * response to it. Written as wsmv:OperationID with wsmv:SequenceId 1 (the request is the operation's only message).
   */
  readonly operationId?: string;
  /**
   * Marks the request as a retransmission of the one that carried the same operationId (OperationID with
   * mustUnderstand="true"): the server answers with its remembered response instead of executing it again.
   */
  readonly retransmission?: boolean;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `uuid:` + the upper-case GUID, the form of MessageID, RelatesTo and SessionId. */
export function uuidUri(guid: string): string {
  if (!GUID.test(guid)) throw new UsageError(`${JSON.stringify(guid)} is not a GUID`);
  return `uuid:${guid.toUpperCase()}`;
}

export function buildEnvelope(context: WSManContext, header: RequestHeader, body?: XmlElement): Uint8Array {
  const envelope = xmlElement(Namespace.soap, 'Envelope', {
    children: [
      xmlElement(Namespace.soap, 'Header', { children: headerElements(context, header) }),
      body === undefined
        ? xmlElement(Namespace.soap, 'Body')
        : xmlElement(Namespace.soap, 'Body', { children: [body] }),
    ],
  });
  return new TextEncoder().encode(serializeXml(envelope, requestPrefixes));
}

function headerElements(context: WSManContext, header: RequestHeader): XmlElement[] {
  if (!Number.isSafeInteger(context.maxEnvelopeSize) || context.maxEnvelopeSize <= 0) {
    throw new UsageError(`MaxEnvelopeSize must be a positive number of bytes, not ${context.maxEnvelopeSize}`);
  }
  if (context.operationTimeoutMs <= 0) throw new UsageError('OperationTimeout must be positive');
  const locale = context.locale ?? 'en-US';
  const elements = [
    mustUnderstand(xmlElement(Namespace.addressing, 'Action', { text: header.action }), true),
    xmlElement(Namespace.wsmv, 'DataLocale', { attributes: localeAttributes(context.dataLocale ?? locale) }),
    xmlElement(Namespace.wsman, 'Locale', { attributes: localeAttributes(locale) }),
    mustUnderstand(xmlElement(Namespace.wsman, 'MaxEnvelopeSize', { text: String(context.maxEnvelopeSize) }), true),
    xmlElement(Namespace.addressing, 'MessageID', { text: uuidUri(header.messageId) }),
    xmlElement(Namespace.wsman, 'OperationTimeout', { text: formatDuration(context.operationTimeoutMs) }),
    xmlElement(Namespace.addressing, 'ReplyTo', {
      children: [mustUnderstand(xmlElement(Namespace.addressing, 'Address', { text: ANONYMOUS_ADDRESS }), true)],
    }),
    mustUnderstand(xmlElement(Namespace.wsman, 'ResourceURI', { text: header.resourceUri }), true),
  ];
  if (context.sessionId !== undefined) {
    elements.push(mustUnderstand(xmlElement(Namespace.wsmv, 'SessionId', { text: uuidUri(context.sessionId) }), false));
  }
  elements.push(...operationElements(header));
  elements.push(xmlElement(Namespace.addressing, 'To', { text: context.to }));
  if (header.options !== undefined && header.options.length > 0) {
    elements.push(mustUnderstand(optionSet(header.options), true));
  }
  if (header.selectors !== undefined && header.selectors.length > 0) elements.push(selectorSet(header.selectors));
  return elements;
}

function operationElements(header: RequestHeader): XmlElement[] {
  if (header.operationId === undefined) {
    if (header.retransmission === true) throw new UsageError('a retransmission needs the OperationID it repeats');
    return [];
  }
  const retransmission = header.retransmission === true;
  return [
    mustUnderstand(xmlElement(Namespace.wsmv, 'OperationID', { text: uuidUri(header.operationId) }), retransmission),
    mustUnderstand(xmlElement(Namespace.wsmv, 'SequenceId', { text: '1' }), false),
  ];
}

function mustUnderstand(element: XmlElement, value: boolean): XmlElement {
  return {
    ...element,
    attributes: [xmlAttribute('mustUnderstand', String(value), Namespace.soap), ...element.attributes],
  };
}

function localeAttributes(locale: string) {
  return [xmlAttribute('mustUnderstand', 'false', Namespace.soap), xmlAttribute('lang', locale, Namespace.xml)];
}

function optionSet(options: readonly WSManOption[]): XmlElement {
  return xmlElement(Namespace.wsman, 'OptionSet', {
    children: options.map((option) =>
      xmlElement(Namespace.wsman, 'Option', {
        attributes: [
          ...(option.mustComply === true ? [xmlAttribute('MustComply', 'true')] : []),
          xmlAttribute('Name', option.name),
        ],
        text: option.value,
      }),
    ),
  });
}

/** A wsman:SelectorSet; also the body of an enumeration's SelectorFilter. */
export function selectorSet(selectors: readonly WSManSelector[]): XmlElement {
  return xmlElement(Namespace.wsman, 'SelectorSet', {
    children: selectors.map((selector) =>
      xmlElement(Namespace.wsman, 'Selector', {
        attributes: [xmlAttribute('Name', selector.name)],
        text: selector.value,
      }),
    ),
  });
}
