import { Buffer } from 'node:buffer';
import type { WSManSelector } from './envelope';
import { MalformedResponseError, RelatesToMismatchError } from './errors';
import { readFault } from './fault';
import { Namespace } from './namespaces';
import { readShellInfo, streamNames, type ShellInfo } from './resources';
import type { WSManRequest } from './requests';
import { CommandStateUri, FaultAction, responseActionOf, type CommandState, type WSManOperation } from './uris';
import { attributeValue, childElement, childElements, type XmlElement } from './xml-element';
import { defaultXmlLimits, parseXml, type XmlLimits } from './xml-reader';

export interface CreateResult {
  /** The ShellId selector's value. */
  readonly shellId: string;
  /** The SelectorSet to send with every later request on this shell. */
  readonly selectors: readonly WSManSelector[];
  readonly resourceUri?: string;
  readonly address?: string;
  /** The rsp:Shell details newer servers add. */
  readonly shell?: ShellInfo;
}

export interface CommandResult {
  readonly commandId: string;
}

export interface ReceivedStream {
  readonly name: string;
  readonly commandId?: string;
  readonly data: Uint8Array;
  /** End="true": the server will send nothing more on this stream. */
  readonly end: boolean;
}

export interface ReceivedCommandState {
  readonly commandId?: string;
  readonly state: CommandState;
  /** Present when the state is Done. */
  readonly exitCode?: number;
}

export interface ReceiveResult {
  /** In document order; a stream's chunks must be joined in this order before decoding text. */
  readonly streams: readonly ReceivedStream[];
  readonly commandState?: ReceivedCommandState;
}

export interface ConnectResult {
  readonly inputStreams: readonly string[];
  readonly outputStreams: readonly string[];
  /** The decoded connectResponseXml (PSRP SESSION_CAPABILITY + RUNSPACEPOOL_INIT_DATA fragments). */
  readonly payload?: Uint8Array;
}

export interface EnumerationResult {
  /** Absent or empty once the server has nothing more; otherwise continue with Pull. */
  readonly enumerationContext?: string;
  readonly items: readonly XmlElement[];
  readonly endOfSequence: boolean;
}

export interface GetResult {
  /** The resource representation: rsp:Shell for a shell, cfg:Config for the configuration. */
  readonly resource: XmlElement;
}

/** Operations whose successful response carries nothing we use. */
export type EmptyResult = Record<string, never>;

export interface ResultOf {
  Create: CreateResult;
  Command: CommandResult;
  Send: EmptyResult;
  Receive: ReceiveResult;
  Signal: EmptyResult;
  Delete: EmptyResult;
  Disconnect: EmptyResult;
  Reconnect: EmptyResult;
  Connect: ConnectResult;
  Enumerate: EnumerationResult;
  Pull: EnumerationResult;
  Get: GetResult;
}

/**
 * Reads the response to `request`, whatever the HTTP status (faults come with 500): returns the typed
 * result, throws WSManFault for an s:Fault body, and MalformedXmlError / MalformedResponseError /
 * RelatesToMismatchError (all ProtocolErrors) when the bytes are not a valid answer to this request.
 */
export function parseResponse<O extends WSManOperation>(
  request: WSManRequest<O>,
  response: Uint8Array | string,
  limits: XmlLimits = defaultXmlLimits,
): ResultOf[O] {
  const envelope = parseXml(response, limits);
  if (envelope.namespace !== Namespace.soap || envelope.localName !== 'Envelope') {
    throw new MalformedResponseError(`expected a SOAP 1.2 Envelope, found ${describe(envelope)}`);
  }
  const header = childElement(envelope, Namespace.soap, 'Header');
  const body = required(envelope, Namespace.soap, 'Body');
  const action = header && childElement(header, Namespace.addressing, 'Action')?.text.trim();
  const relatesTo = header && childElement(header, Namespace.addressing, 'RelatesTo')?.text.trim();
  const fault = childElement(body, Namespace.soap, 'Fault');
  if (fault !== undefined) {
    // A server that could not read our MessageID cannot relate its fault to it; any other must match.
    if (relatesTo !== undefined) checkRelatesTo(request.messageId, relatesTo);
    throw readFault(fault, action);
  }
  checkRelatesTo(request.messageId, relatesTo);
  const expectedAction = responseActionOf(request.operation);
  if (action !== expectedAction) {
    const isFaultAction = action === FaultAction.wsman || action === FaultAction.addressing;
    throw new MalformedResponseError(
      `expected action ${expectedAction}, found ${action ?? '(none)'}${isFaultAction ? ' without an s:Fault body' : ''}`,
    );
  }
  return readers[request.operation](body) as ResultOf[O];
}

const readers: { [O in WSManOperation]: (body: XmlElement) => ResultOf[O] } = {
  Create: readCreate,
  Command: (body) => ({ commandId: requiredText(required(body, Namespace.shell, 'CommandResponse'), 'CommandId') }),
  Send: (body) => expectEmptyResult(body, 'SendResponse'),
  Receive: readReceive,
  Signal: (body) => expectEmptyResult(body, 'SignalResponse'),
  Delete: () => ({}),
  Disconnect: () => ({}),
  Reconnect: () => ({}),
  Connect: readConnect,
  Enumerate: (body) => readEnumeration(required(body, Namespace.enumeration, 'EnumerateResponse')),
  Pull: (body) => readEnumeration(required(body, Namespace.enumeration, 'PullResponse')),
  Get: (body) => {
    const resource = body.children[0];
    if (resource === undefined) throw new MalformedResponseError('GetResponse has an empty body');
    return { resource };
  },
};

function readCreate(body: XmlElement): CreateResult {
  const created = childElement(body, Namespace.transfer, 'ResourceCreated');
  const reference = created && childElement(created, Namespace.addressing, 'ReferenceParameters');
  const selectorSet = reference && childElement(reference, Namespace.wsman, 'SelectorSet');
  const selectors = (selectorSet ? childElements(selectorSet, Namespace.wsman, 'Selector') : []).map((selector) => ({
    name: attributeValue(selector, 'Name') ?? '',
    value: selector.text.trim(),
  }));
  const shellElement = childElement(body, Namespace.shell, 'Shell');
  const shell = shellElement && readShellInfo(shellElement);
  const shellId = selectors.find((selector) => selector.name === 'ShellId')?.value ?? shell?.shellId;
  if (shellId === undefined || shellId === '') throw new MalformedResponseError('CreateResponse names no ShellId');
  return {
    shellId,
    selectors: selectors.length > 0 ? selectors : [{ name: 'ShellId', value: shellId }],
    resourceUri: reference && childElement(reference, Namespace.wsman, 'ResourceURI')?.text.trim(),
    address: created && childElement(created, Namespace.addressing, 'Address')?.text.trim(),
    shell,
  };
}

function readReceive(body: XmlElement): ReceiveResult {
  const receive = required(body, Namespace.shell, 'ReceiveResponse');
  const streams = childElements(receive, Namespace.shell, 'Stream').map((stream) => {
    const name = attributeValue(stream, 'Name');
    if (name === undefined) throw new MalformedResponseError('rsp:Stream has no Name');
    return {
      name,
      commandId: attributeValue(stream, 'CommandId'),
      data: decodeBase64(stream.text, `stream ${name}`),
      end: parseEnd(attributeValue(stream, 'End')),
    };
  });
  const stateElement = childElement(receive, Namespace.shell, 'CommandState');
  return { streams, commandState: stateElement && readCommandState(stateElement) };
}

function readCommandState(element: XmlElement): ReceivedCommandState {
  const uri = attributeValue(element, 'State');
  const state = (Object.keys(CommandStateUri) as CommandState[]).find((name) => CommandStateUri[name] === uri);
  if (state === undefined) throw new MalformedResponseError(`unknown command state ${uri ?? '(none)'}`);
  const exitCodeText = childElement(element, Namespace.shell, 'ExitCode')?.text.trim();
  return { commandId: attributeValue(element, 'CommandId'), state, exitCode: optionalExitCode(exitCodeText) };
}

/** Exit codes are DWORDs; some servers print them signed. Either way they fit in 32 bits. */
function optionalExitCode(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^-?\d{1,10}$/.test(text) || value < -0x80000000 || value > 0xffffffff) {
    throw new MalformedResponseError(`exit code ${JSON.stringify(text)} is not a 32-bit integer`);
  }
  return value;
}

function readConnect(body: XmlElement): ConnectResult {
  const connect = required(body, Namespace.shell, 'ConnectResponse');
  const payload = childElement(connect, Namespace.powershell, 'connectResponseXml');
  return {
    inputStreams: streamNames(childElement(connect, Namespace.shell, 'InputStreams')?.text),
    outputStreams: streamNames(childElement(connect, Namespace.shell, 'OutputStreams')?.text),
    payload: payload && decodeBase64(payload.text, 'connectResponseXml'),
  };
}

/** With OptimizeEnumeration the items come in wsman:Items; a plain Pull answers with wsen:Items. */
function readEnumeration(response: XmlElement): EnumerationResult {
  const items =
    childElement(response, Namespace.wsman, 'Items') ?? childElement(response, Namespace.enumeration, 'Items');
  const context = childElement(response, Namespace.enumeration, 'EnumerationContext')?.text.trim();
  return {
    enumerationContext: context === '' ? undefined : context,
    items: items?.children ?? [],
    endOfSequence:
      childElement(response, Namespace.wsman, 'EndOfSequence') !== undefined ||
      childElement(response, Namespace.enumeration, 'EndOfSequence') !== undefined,
  };
}

function expectEmptyResult(body: XmlElement, localName: string): EmptyResult {
  required(body, Namespace.shell, localName);
  return {};
}

function required(parent: XmlElement, namespace: string, localName: string): XmlElement {
  const element = childElement(parent, namespace, localName);
  if (element === undefined) {
    throw new MalformedResponseError(`${describe(parent)} has no ${localName} element of ${namespace}`);
  }
  return element;
}

function requiredText(parent: XmlElement, localName: string): string {
  const text = required(parent, Namespace.shell, localName).text.trim();
  if (text === '') throw new MalformedResponseError(`${localName} is empty`);
  return text;
}

function checkRelatesTo(messageId: string, relatesTo: string | undefined): void {
  const expected = `uuid:${messageId}`;
  if (relatesTo?.toLowerCase() !== expected.toLowerCase()) throw new RelatesToMismatchError(expected, relatesTo);
}

function parseEnd(value: string | undefined): boolean {
  if (value === undefined) return false;
  const lower = value.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  throw new MalformedResponseError(`End=${JSON.stringify(value)} is not a boolean`);
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Strict base64: Buffer's decoder silently skips invalid characters, which would hide corruption. */
function decodeBase64(text: string, what: string): Uint8Array {
  const compact = /\s/.test(text) ? text.replace(/\s+/g, '') : text;
  if (!BASE64.test(compact)) throw new MalformedResponseError(`${what} is not valid base64`);
  return new Uint8Array(Buffer.from(compact, 'base64'));
}

function describe(element: XmlElement): string {
  return element.namespace === '' ? element.localName : `{${element.namespace}}${element.localName}`;
}
