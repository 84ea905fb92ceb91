import { Buffer } from 'node:buffer';
import { UsageError } from '../errors';
import { formatDuration } from './duration';
import { buildEnvelope, selectorSet, type WSManContext, type WSManOption, type WSManSelector } from './envelope';
import { Namespace } from './namespaces';
import { Action, OptionName, SELECTOR_FILTER_DIALECT, type WSManOperation } from './uris';
import { xmlAttribute, xmlElement, type XmlElement } from './xml-element';

/**
 * Request builders, one per operation of PROTOCOL.md §1. Each returns the UTF-8 envelope together
 * with the operation and MessageID, which is what parseResponse needs to check the answer.
 */
export interface WSManRequest<O extends WSManOperation = WSManOperation> {
  readonly operation: O;
  readonly messageId: string;
  readonly envelope: Uint8Array;
  /**
   * The same request (same MessageID) naming a Robust Connections operation (MS-WSMV 3.1.4.1.39): send it with
   * `retransmission` false first; after a broken response, the same operationId with `retransmission` true asks a
   * supporting server for the response it already produced instead of executing the request again.
   */
  withOperationId(operationId: string, retransmission: boolean): Uint8Array;
}

/** Any request, as a union discriminated by `operation` (a switch on it narrows the request type). */
export type AnyWSManRequest = { [O in WSManOperation]: WSManRequest<O> }[WSManOperation];

/** The shell (or other resource) a request addresses. */
export interface ResourceTarget {
  readonly resourceUri: string;
  /** The SelectorSet the CreateResponse returned (ShellId), sent verbatim. */
  readonly selectors: readonly WSManSelector[];
}

export function shellSelectors(shellId: string): WSManSelector[] {
  return [{ name: 'ShellId', value: shellId }];
}

export interface ShellDefinition {
  /** A client-chosen ShellId (PSRP uses the upper-case RunspacePool id); the server picks one otherwise. */
  readonly shellId?: string;
  readonly inputStreams: readonly string[];
  readonly outputStreams: readonly string[];
  /** In order; names may repeat only if the server accepts it. */
  readonly environment?: readonly (readonly [name: string, value: string])[];
  readonly idleTimeoutMs?: number;
  readonly lifetimeMs?: number;
  readonly name?: string;
  readonly workingDirectory?: string;
  /** Resource-specific content appended to rsp:Shell, e.g. PSRP's creationXml (see powerShellPayload). */
  readonly openContent?: XmlElement;
}

export interface CreateParameters {
  readonly resourceUri: string;
  readonly shell: ShellDefinition;
  readonly options?: readonly WSManOption[];
}

export interface CommandParameters extends ResourceTarget {
  /** The executable; '' gives the empty rsp:Command PSRP requires. */
  readonly command: string;
  /** One rsp:Arguments each, in order (PSRP passes the base64 CREATE_PIPELINE fragments here). */
  readonly arguments?: readonly string[];
  readonly commandId?: string;
  readonly options?: readonly WSManOption[];
}

export interface SendParameters extends ResourceTarget {
  readonly stream: string;
  /** Absent for input to the shell itself (PSRP runspace-pool messages). */
  readonly commandId?: string;
  /** Written as base64. */
  readonly data: Uint8Array;
  /** Written as End="True"/"False" when given. */
  readonly end?: boolean;
}

export interface ReceiveParameters extends ResourceTarget {
  readonly desiredStreams: readonly string[];
  readonly commandId?: string;
}

export interface SignalParameters extends ResourceTarget {
  readonly commandId: string;
  readonly code: string;
}

export interface DisconnectParameters extends ResourceTarget {
  readonly idleTimeoutMs?: number;
}

export interface ConnectParameters extends ResourceTarget {
  /** Connects to one command of the shell instead of the shell. */
  readonly commandId?: string;
  /** Body content of rsp:Connect, e.g. PSRP's connectXml (see powerShellPayload). */
  readonly payload?: XmlElement;
  readonly options?: readonly WSManOption[];
}

export interface EnumerateParameters {
  readonly resourceUri: string;
  /** 32000 when absent. */
  readonly maxElements?: number;
  /** Restricts the enumeration with a SelectorFilter (the commands of one shell: ShellId). */
  readonly filterSelectors?: readonly WSManSelector[];
}

export interface PullParameters {
  readonly resourceUri: string;
  readonly enumerationContext: string;
  readonly maxElements?: number;
}

export interface GetParameters {
  readonly resourceUri: string;
  readonly selectors?: readonly WSManSelector[];
}

const DEFAULT_MAX_ELEMENTS = 32000;

export function buildCreate(
  context: WSManContext,
  messageId: string,
  parameters: CreateParameters,
): WSManRequest<'Create'> {
  const { shell } = parameters;
  const children = [
    shellElement('InputStreams', shell.inputStreams.join(' ')),
    shellElement('OutputStreams', shell.outputStreams.join(' ')),
  ];
  if (shell.environment !== undefined) {
    children.push(
      xmlElement(Namespace.shell, 'Environment', {
        children: shell.environment.map(([name, value]) =>
          xmlElement(Namespace.shell, 'Variable', { attributes: [xmlAttribute('Name', name)], text: value }),
        ),
      }),
    );
  }
  if (shell.idleTimeoutMs !== undefined)
    children.push(shellElement('IdleTimeOut', formatDuration(shell.idleTimeoutMs)));
  if (shell.lifetimeMs !== undefined) children.push(shellElement('Lifetime', formatDuration(shell.lifetimeMs)));
  if (shell.name !== undefined) children.push(shellElement('Name', shell.name));
  if (shell.workingDirectory !== undefined) children.push(shellElement('WorkingDirectory', shell.workingDirectory));
  if (shell.openContent !== undefined) children.push(shell.openContent);
  const body = xmlElement(Namespace.shell, 'Shell', {
    attributes: shell.shellId === undefined ? [] : [xmlAttribute('ShellId', shell.shellId)],
    children,
  });
  return request(
    context,
    messageId,
    'Create',
    { resourceUri: parameters.resourceUri, options: parameters.options },
    body,
  );
}

export function buildCommand(
  context: WSManContext,
  messageId: string,
  parameters: CommandParameters,
): WSManRequest<'Command'> {
  const body = xmlElement(Namespace.shell, 'CommandLine', {
    attributes: commandIdAttribute(parameters.commandId),
    children: [
      shellElement('Command', parameters.command),
      ...(parameters.arguments ?? []).map((argument) => shellElement('Arguments', argument)),
    ],
  });
  return request(context, messageId, 'Command', parameters, body);
}

export function buildSend(context: WSManContext, messageId: string, parameters: SendParameters): WSManRequest<'Send'> {
  const attributes = [xmlAttribute('Name', parameters.stream), ...commandIdAttribute(parameters.commandId)];
  if (parameters.end !== undefined) attributes.push(xmlAttribute('End', parameters.end ? 'True' : 'False'));
  const body = xmlElement(Namespace.shell, 'Send', {
    children: [
      xmlElement(Namespace.shell, 'Stream', { attributes, text: Buffer.from(parameters.data).toString('base64') }),
    ],
  });
  return request(context, messageId, 'Send', parameters, body);
}

/**
 * How many raw bytes one Send of this shape can carry within the context's MaxEnvelopeSize: the room
 * beside the envelope, less a 256-byte margin, times 3/4 for base64 (pypsrp's budget, §1.10). The
 * envelope is measured around one base64 block, since an empty Stream would be written self-closed.
 */
export function sendPayloadCapacity(context: WSManContext, shape: Omit<SendParameters, 'data'>): number {
  const probe = buildSend(context, '00000000-0000-0000-0000-000000000000', { ...shape, data: new Uint8Array(3) });
  const overhead = probe.envelope.length - 4;
  const capacity = Math.floor((context.maxEnvelopeSize - overhead - 256) / 4) * 3;
  if (capacity <= 0) throw new UsageError(`MaxEnvelopeSize ${context.maxEnvelopeSize} leaves no room for data`);
  return capacity;
}

/** Always asks the server to keep the command alive while we poll (pypsrp and PowerShell both do). */
export function buildReceive(
  context: WSManContext,
  messageId: string,
  parameters: ReceiveParameters,
): WSManRequest<'Receive'> {
  const body = xmlElement(Namespace.shell, 'Receive', {
    children: [
      xmlElement(Namespace.shell, 'DesiredStream', {
        attributes: commandIdAttribute(parameters.commandId),
        text: parameters.desiredStreams.join(' '),
      }),
    ],
  });
  const options = [{ name: OptionName.keepAlive, value: 'True' }];
  return request(context, messageId, 'Receive', { ...parameters, options }, body);
}

export function buildSignal(
  context: WSManContext,
  messageId: string,
  parameters: SignalParameters,
): WSManRequest<'Signal'> {
  const body = xmlElement(Namespace.shell, 'Signal', {
    attributes: commandIdAttribute(parameters.commandId),
    children: [shellElement('Code', parameters.code)],
  });
  return request(context, messageId, 'Signal', parameters, body);
}

export function buildDelete(context: WSManContext, messageId: string, target: ResourceTarget): WSManRequest<'Delete'> {
  return request(context, messageId, 'Delete', target, undefined);
}

export function buildDisconnect(
  context: WSManContext,
  messageId: string,
  parameters: DisconnectParameters,
): WSManRequest<'Disconnect'> {
  const body = xmlElement(Namespace.shell, 'Disconnect', {
    children:
      parameters.idleTimeoutMs === undefined
        ? []
        : [shellElement('IdleTimeOut', formatDuration(parameters.idleTimeoutMs))],
  });
  return request(context, messageId, 'Disconnect', parameters, body);
}

export function buildReconnect(
  context: WSManContext,
  messageId: string,
  target: ResourceTarget,
): WSManRequest<'Reconnect'> {
  return request(context, messageId, 'Reconnect', target, undefined);
}

export function buildConnect(
  context: WSManContext,
  messageId: string,
  parameters: ConnectParameters,
): WSManRequest<'Connect'> {
  const body = xmlElement(Namespace.shell, 'Connect', {
    attributes: commandIdAttribute(parameters.commandId),
    children: parameters.payload === undefined ? [] : [parameters.payload],
  });
  return request(context, messageId, 'Connect', parameters, body);
}

export function buildEnumerate(
  context: WSManContext,
  messageId: string,
  parameters: EnumerateParameters,
): WSManRequest<'Enumerate'> {
  const children = [
    xmlElement(Namespace.wsman, 'OptimizeEnumeration'),
    xmlElement(Namespace.wsman, 'MaxElements', { text: maxElements(parameters.maxElements) }),
  ];
  if (parameters.filterSelectors !== undefined) {
    children.push(
      xmlElement(Namespace.wsman, 'Filter', {
        attributes: [xmlAttribute('Dialect', SELECTOR_FILTER_DIALECT)],
        children: [selectorSet(parameters.filterSelectors)],
      }),
    );
  }
  const body = xmlElement(Namespace.enumeration, 'Enumerate', { children });
  return request(context, messageId, 'Enumerate', parameters, body);
}

export function buildPull(context: WSManContext, messageId: string, parameters: PullParameters): WSManRequest<'Pull'> {
  const body = xmlElement(Namespace.enumeration, 'Pull', {
    children: [
      xmlElement(Namespace.enumeration, 'EnumerationContext', { text: parameters.enumerationContext }),
      xmlElement(Namespace.enumeration, 'MaxElements', { text: maxElements(parameters.maxElements) }),
    ],
  });
  return request(context, messageId, 'Pull', parameters, body);
}

export function buildGet(context: WSManContext, messageId: string, parameters: GetParameters): WSManRequest<'Get'> {
  return request(context, messageId, 'Get', parameters, undefined);
}

/** A PSRP payload element (creationXml, connectXml) in PowerShell's namespace, holding base64 bytes. */
export function powerShellPayload(localName: 'creationXml' | 'connectXml', data: Uint8Array): XmlElement {
  return xmlElement(Namespace.powershell, localName, { text: Buffer.from(data).toString('base64') });
}

function request<O extends WSManOperation>(
  context: WSManContext,
  messageId: string,
  operation: O,
  target: { resourceUri: string; selectors?: readonly WSManSelector[]; options?: readonly WSManOption[] },
  body: XmlElement | undefined,
): WSManRequest<O> {
  const header = {
    action: Action[operation],
    resourceUri: target.resourceUri,
    messageId,
    selectors: target.selectors,
    options: target.options,
  };
  return {
    operation,
    messageId,
    envelope: buildEnvelope(context, header, body),
    withOperationId: (operationId, retransmission) =>
      buildEnvelope(context, { ...header, operationId, retransmission }, body),
  };
}

function shellElement(localName: string, text: string): XmlElement {
  return xmlElement(Namespace.shell, localName, { text });
}

function commandIdAttribute(commandId: string | undefined) {
  return commandId === undefined ? [] : [xmlAttribute('CommandId', commandId)];
}

function maxElements(value: number | undefined): string {
  const count = value ?? DEFAULT_MAX_ELEMENTS;
  if (!Number.isSafeInteger(count) || count <= 0) throw new UsageError(`MaxElements must be positive, not ${count}`);
  return String(count);
}
