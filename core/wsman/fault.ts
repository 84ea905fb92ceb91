import { Namespace } from './namespaces';
import { childElement, resolveQName, type QualifiedName, type XmlElement } from './xml-element';

/**
 * Well-known WSManFault codes (PROTOCOL.md §1.9): the decimal value of `f:WSManFault@Code`, which is
 * a Win32 error or an HRESULT read as unsigned.
 */
export const WSManFaultCode = {
  /** ERROR_WSMAN_OPERATION_TIMEDOUT (0x80338029): a Receive had nothing within OperationTimeout; poll again. */
  OperationTimeout: 2150858793,
  /** ERROR_WSMAN_UNEXPECTED_SELECTORS (0x8033805B): the shell or command id is unknown or closed. */
  UnexpectedSelectors: 2150858843,
  /** ERROR_WSMAN_MAX_ENVELOPE_SIZE_EXCEEDED (0x80338048). */
  MaxEnvelopeSizeExceeded: 2150858824,
  /** ERROR_WSMAN_QUOTA_MAX_SHELLS (0x803381A5). */
  QuotaMaxShells: 2150859173,
  /** ERROR_WINRS_SHELL_DISCONNECTED (0x803381C4). */
  ShellDisconnected: 2150859204,
  /** ERROR_WSMAN_SERVICE_STREAM_DISCONNECTED (0x803381DE). */
  ServiceStreamDisconnected: 2150859230,
  /** ERROR_INVALID_PARAMETER, e.g. a Receive on a cmd shell without a command. */
  InvalidParameter: 87,
  /** ERROR_OPERATION_ABORTED. */
  OperationAborted: 995,
  /** ERROR_CANCELLED, seen on disconnect operations. */
  Cancelled: 1223,
  /** HRESULT of ERROR_FILE_NOT_FOUND (0x80070002): the cmd plugin could not find the executable. */
  FileNotFound: 2147942402,
  /** HRESULT of ERROR_FILENAME_EXCED_RANGE (0x800700CE) from the cmd plugin. */
  FilenameTooLong: 2147942606,
} as const;

export interface ProviderFault {
  readonly provider: string | undefined;
  readonly path: string | undefined;
  readonly message: string | undefined;
}

export interface WSManFaultDetails {
  readonly code: number | undefined;
  readonly machine: string | undefined;
  /** s:Code/s:Value, e.g. SOAP's Sender or Receiver. */
  readonly soapCode: QualifiedName | undefined;
  /** s:Code/s:Subcode/s:Value, e.g. WS-Management's TimedOut or InvalidSelectors. */
  readonly subcode: QualifiedName | undefined;
  /** s:Reason/s:Text. */
  readonly reason: string | undefined;
  /** wsman:FaultDetail, a URI refining the subcode. */
  readonly faultDetail: string | undefined;
  readonly providerFault: ProviderFault | undefined;
  /** The action of the fault envelope (WS-Management's or WS-Addressing's fault action). */
  readonly action: string | undefined;
}

/**
 * The server's refusal of a request: a well-formed SOAP fault, whether it came with HTTP 500 or 200.
 * Not a ProtocolError: the peer followed the protocol and said no. `message` is the server's text.
 */
export class WSManFault extends Error implements WSManFaultDetails {
  override readonly name = 'WSManFault';
  readonly code: number | undefined;
  readonly machine: string | undefined;
  readonly soapCode: QualifiedName | undefined;
  readonly subcode: QualifiedName | undefined;
  readonly reason: string | undefined;
  readonly faultDetail: string | undefined;
  readonly providerFault: ProviderFault | undefined;
  readonly action: string | undefined;

  constructor(message: string, details: WSManFaultDetails) {
    super(message);
    this.code = details.code;
    this.machine = details.machine;
    this.soapCode = details.soapCode;
    this.subcode = details.subcode;
    this.reason = details.reason;
    this.faultDetail = details.faultDetail;
    this.providerFault = details.providerFault;
    this.action = details.action;
  }
}

export function hasFaultCode(error: unknown, code: number): error is WSManFault {
  return error instanceof WSManFault && error.code === code;
}

/** The Receive long poll ended without data: not an error, send the Receive again. */
export function isOperationTimeout(error: unknown): error is WSManFault {
  return hasFaultCode(error, WSManFaultCode.OperationTimeout);
}

/** Reads an s:Fault element. Lenient by design: whatever part is missing, it is still a fault. */
export function readFault(fault: XmlElement, action: string | undefined): WSManFault {
  const soap = Namespace.soap;
  const code = childElement(fault, soap, 'Code');
  const codeValue = code && childElement(code, soap, 'Value');
  const subcode = code && childElement(code, soap, 'Subcode');
  const subcodeValue = subcode && childElement(subcode, soap, 'Value');
  const reason = nonEmpty(childElement(fault, soap, 'Reason')?.children.find((c) => c.localName === 'Text')?.text);
  const detail = childElement(fault, soap, 'Detail');
  const wsmanFault = detail && childElement(detail, Namespace.wsmanFault, 'WSManFault');
  const wmiError = detail?.children.find((child) => child.localName === 'MSFT_WmiError');
  const messageElement = wsmanFault && childElement(wsmanFault, Namespace.wsmanFault, 'Message');
  const providerElement = messageElement && childElement(messageElement, Namespace.wsmanFault, 'ProviderFault');
  const providerFault = providerElement && {
    provider: providerElement.attributes.find((a) => a.localName === 'provider')?.value,
    path: providerElement.attributes.find((a) => a.localName === 'path')?.value,
    message: providerMessage(providerElement),
  };
  const wmiMessage = nonEmpty(wmiError?.children.find((c) => c.localName === 'Message')?.text);
  const message =
    nonEmpty(messageElement?.text) ?? providerFault?.message ?? wmiMessage ?? reason ?? 'WS-Management fault';
  return new WSManFault(message, {
    code: parseCode(
      wsmanFault?.attributes.find((a) => a.localName === 'Code')?.value ??
        wmiError?.children.find((c) => c.localName === 'error_Code')?.text,
    ),
    machine: wsmanFault?.attributes.find((a) => a.localName === 'Machine')?.value,
    soapCode: codeValue && resolveQName(codeValue, codeValue.text),
    subcode: subcodeValue && resolveQName(subcodeValue, subcodeValue.text),
    reason,
    faultDetail: nonEmpty(detail && childElement(detail, Namespace.wsman, 'FaultDetail')?.text),
    providerFault,
    action,
  });
}

/** A provider fault carries its text directly or inside a nested WSManFault's Message. */
function providerMessage(providerFault: XmlElement): string | undefined {
  const nested = childElement(providerFault, Namespace.wsmanFault, 'WSManFault');
  const nestedMessage = nested && childElement(nested, Namespace.wsmanFault, 'Message');
  return nonEmpty(providerFault.text) ?? nonEmpty(nestedMessage?.text);
}

function parseCode(text: string | undefined): number | undefined {
  const trimmed = text?.trim();
  return trimmed !== undefined && /^\d{1,10}$/.test(trimmed) ? Number(trimmed) : undefined;
}

function nonEmpty(text: string | undefined): string | undefined {
  const trimmed = text?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}
