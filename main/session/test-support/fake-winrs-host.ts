import { Buffer } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import {
  Action,
  CommandStateUri,
  Namespace,
  WSManFaultCode,
  childElement,
  parseXml,
  type WSManOperation,
  type XmlElement,
} from '../../../core/wsman';
import { DEFAULT_TIMEOUTS, HttpHeaders, type PostOptions, type WinRMResponse } from '../../transport';
import type { PostingTransport, TransportOpener } from '../transport-lanes';

/** What one Receive of a command answers: output and maybe the exit code, or the empty long poll's fault. */
export type ReceiveReply =
  { readonly stdout?: string; readonly stderr?: string; readonly exitCode?: number } | 'timeout';

/** A reply, or one held until the promise settles (a rejection becomes the post's failure). */
export type ReceiveAnswer = ReceiveReply | Promise<ReceiveReply>;

export interface RecordedRequest {
  readonly operation: WSManOperation;
  /** Which connection carried it (index in `transports`). */
  readonly connection: number;
  readonly commandId: string | undefined;
  readonly signalCode: string | undefined;
  readonly idempotent: boolean;
}

const SHELL_ID = '4283CBDC-3706-415B-88BD-B385F3E51A53';

/**
 * A WinRS host for driver tests, behind the transport seam: it answers Create, Command, Receive (from a
 * script per command), Send, Signal and Delete as Windows does, records which connection carried each
 * request, and can fail a request the way a broken connection does.
 */
export class FakeWinRSHost {
  readonly transports: FakeTransport[] = [];
  readonly requests: RecordedRequest[] = [];
  /** Receive answers of each command, in the order commands start. */
  readonly scripts: ReceiveAnswer[][] = [];
  /** Operations to fail (once each) with the given error instead of answering. */
  readonly failures = new Map<WSManOperation, Error>();
  /** Answer Create with a quota fault. */
  refuseShell = false;
  /** Answer Command with a file-not-found fault. */
  refuseCommand = false;
  #commands = 0;
  readonly #commandScripts = new Map<string, ReceiveAnswer[]>();

  readonly open: TransportOpener = (options) => {
    const transport = new FakeTransport(this, this.transports.length, options.endpoint);
    this.transports.push(transport);
    return transport;
  };

  operations(): WSManOperation[] {
    return this.requests.map((request) => request.operation);
  }

  /** @internal */
  async answer(envelope: Uint8Array, connection: number, options: PostOptions): Promise<string> {
    const request = parseXml(envelope);
    const header = request.children[0]!;
    const body = request.children[1]!.children[0];
    const action = childElement(header, Namespace.addressing, 'Action')!.text;
    const messageId = childElement(header, Namespace.addressing, 'MessageID')!.text;
    const operation = (Object.keys(Action) as WSManOperation[]).find((name) => Action[name] === action)!;
    const commandId = body && commandIdOf(body);
    const signalCode = body && operation === 'Signal' ? childElement(body, Namespace.shell, 'Code')?.text : undefined;
    this.requests.push({ operation, connection, commandId, signalCode, idempotent: options.idempotent === true });
    const failure = this.failures.get(operation);
    if (failure !== undefined) {
      this.failures.delete(operation);
      throw failure;
    }
    const respond = (content: string) => response(messageId, `${action}Response`, content);
    switch (operation) {
      case 'Create':
        if (this.refuseShell) return fault(messageId, WSManFaultCode.QuotaMaxShells, 'too many shells');
        return respond(
          '<x:ResourceCreated><a:Address>http://h/wsman</a:Address><a:ReferenceParameters>' +
            `<w:ResourceURI>http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd</w:ResourceURI><w:SelectorSet>` +
            `<w:Selector Name="ShellId">${SHELL_ID}</w:Selector></w:SelectorSet></a:ReferenceParameters></x:ResourceCreated>`,
        );
      case 'Command': {
        if (this.refuseCommand) return fault(messageId, WSManFaultCode.FileNotFound, 'The system cannot find the file');
        const id = randomUUID().toUpperCase();
        this.#commandScripts.set(id, this.scripts[this.#commands++] ?? []);
        return respond(`<rsp:CommandResponse><rsp:CommandId>${id}</rsp:CommandId></rsp:CommandResponse>`);
      }
      case 'Receive': {
        const script = this.#commandScripts.get(commandId ?? '');
        const next = script?.shift();
        if (next === undefined) throw new Error(`the test scripted no further Receive for ${commandId}`);
        return receiveResponse(messageId, commandId!, await next);
      }
      case 'Send':
      case 'Signal':
        return respond(`<rsp:${operation}Response/>`);
      case 'Delete':
        return respond('');
      default:
        throw new Error(`the fake host does not do ${operation}`);
    }
  }
}

export class FakeTransport implements PostingTransport {
  readonly timeouts = DEFAULT_TIMEOUTS;
  closed = false;
  inFlight = 0;
  readonly #pending = new Set<(error: Error) => void>();

  constructor(
    private readonly host: FakeWinRSHost,
    readonly index: number,
    readonly endpoint: string,
  ) {}

  post(envelope: Uint8Array, options: PostOptions = {}): Promise<WinRMResponse> {
    if (this.closed) return Promise.reject(new Error('the fake transport is closed'));
    this.inFlight++;
    return new Promise<WinRMResponse>((resolve, reject) => {
      this.#pending.add(reject);
      this.host.answer(envelope, this.index, options).then((text) => {
        const fault = text.includes('<s:Fault>');
        resolve({ status: fault ? 500 : 200, headers: new HttpHeaders([]), body: Buffer.from(text), encrypted: false });
      }, reject);
    }).finally(() => {
      this.inFlight--;
    });
  }

  close(): void {
    this.closed = true;
    for (const reject of this.#pending) reject(new Error('the fake transport was closed'));
    this.#pending.clear();
  }
}

function commandIdOf(body: XmlElement): string | undefined {
  const attribute = (element: XmlElement | undefined) =>
    element?.attributes.find((candidate) => candidate.localName === 'CommandId')?.value;
  return (
    attribute(body) ??
    attribute(childElement(body, Namespace.shell, 'DesiredStream')) ??
    attribute(childElement(body, Namespace.shell, 'Stream'))
  );
}

const NAMESPACES =
  'xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" ' +
  'xmlns:x="http://schemas.xmlsoap.org/ws/2004/09/transfer" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" ' +
  'xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell"';

function response(relatesTo: string, action: string, body: string): string {
  return (
    `<s:Envelope ${NAMESPACES}><s:Header><a:Action>${action}</a:Action>` +
    `<a:MessageID>uuid:${randomUUID().toUpperCase()}</a:MessageID><a:RelatesTo>${relatesTo}</a:RelatesTo>` +
    `</s:Header><s:Body>${body}</s:Body></s:Envelope>`
  );
}

/** A WS-Management fault answering the request whose MessageID is `relatesTo` (with its `uuid:` prefix). */
export function fault(relatesTo: string, code: number, message: string): string {
  return response(
    relatesTo,
    'http://schemas.dmtf.org/wbem/wsman/1/wsman/fault',
    '<s:Fault><s:Code><s:Value>s:Receiver</s:Value></s:Code><s:Reason><s:Text xml:lang="en-US">' +
      `${message}</s:Text></s:Reason><s:Detail><f:WSManFault xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault" ` +
      `Code="${code}" Machine="fake"><f:Message>${message}</f:Message></f:WSManFault></s:Detail></s:Fault>`,
  );
}

function receiveResponse(relatesTo: string, commandId: string, answer: ReceiveReply): string {
  if (answer === 'timeout') return fault(relatesTo, WSManFaultCode.OperationTimeout, 'The operation timed out.');
  const stream = (name: string, text: string | undefined, end: boolean) =>
    text === undefined && !end
      ? ''
      : `<rsp:Stream Name="${name}" CommandId="${commandId}"${end ? ' End="true"' : ''}>` +
        `${Buffer.from(text ?? '').toString('base64')}</rsp:Stream>`;
  const done = answer.exitCode !== undefined;
  const state = done
    ? `<rsp:CommandState CommandId="${commandId}" State="${CommandStateUri.Done}"><rsp:ExitCode>${answer.exitCode}</rsp:ExitCode></rsp:CommandState>`
    : `<rsp:CommandState CommandId="${commandId}" State="${CommandStateUri.Running}"/>`;
  return response(
    relatesTo,
    `${Action.Receive}Response`,
    `<rsp:ReceiveResponse>${stream('stdout', answer.stdout, done)}${stream('stderr', answer.stderr, done)}${state}</rsp:ReceiveResponse>`,
  );
}
