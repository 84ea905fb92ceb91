import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MessageType } from '../../core/psrp/message';
import { RunspacePool, scriptPipeline, type RunspacePoolEvent } from '../../core/psrp/session';
import { captureFiles, replayExchanges } from '../../core/psrp/session/test-support/replay';
import {
  Action,
  Namespace,
  OptionName,
  SignalCode,
  childElement,
  parseXml,
  type AnyWSManRequest,
  type WSManContext,
  type XmlElement,
} from '../../core/wsman';
import { PowerShellShell, payloadEnvelopeOverhead, type PowerShellShellEvent } from './powershell-shell';

// PowerShellShell replayed against a session recorded from Windows Server 2016 (PSRP 2.3; captures/windows,
// pypsrp, MIT): the runspace pool opens, a pipeline runs, and the pool closes with the server's own answers.

const FILE = 'test_psrp_run_protocol_version_2.3.yml';
const context: WSManContext = { to: 'https://h:5986/wsman', maxEnvelopeSize: 153600, operationTimeoutMs: 20000 };

const header = (envelope: Uint8Array) => parseXml(envelope).children[0]!;
const body = (envelope: Uint8Array): XmlElement | undefined => parseXml(envelope).children[1]!.children[0];
const hasCommandId = (request: string | Uint8Array) =>
  /<(?:\w+:)?(?:DesiredStream|CommandLine|Stream|Signal)\b[^>]*CommandId=/.test(
    typeof request === 'string' ? request : new TextDecoder().decode(request),
  );

/**
 * Answers each request with the next recorded response of the same operation (and the same addressing of a
 * command or the shell), its RelatesTo rewritten; what the recorded client did not do is answered as Windows
 * would (pypsrp never released its pipeline), or held like a long poll with nothing to say (undefined).
 */
class RecordedHost {
  readonly #exchanges: { request: string; response: string | null }[];
  #cursor = 0;

  constructor(file: string) {
    this.#exchanges = [...(captureFiles().get(file) ?? [])];
  }

  answer(request: AnyWSManRequest): string | undefined {
    const action = Action[request.operation];
    const withCommand = hasCommandId(request.envelope);
    const index = this.#exchanges.findIndex(
      (exchange, at) =>
        at >= this.#cursor &&
        exchange.request.includes(`>${action}<`) &&
        hasCommandId(exchange.request) === withCommand,
    );
    const messageId = `uuid:${request.messageId.toUpperCase()}`;
    if (index === -1) {
      if (request.operation === 'Receive') return undefined;
      if (request.operation !== 'Signal') throw new Error(`the recording has no further ${request.operation}`);
      return signalResponse(messageId);
    }
    this.#cursor = index + 1;
    const response = this.#exchanges[index]!.response!;
    return response.replace(/(<(?:\w+:)?RelatesTo>)[^<]*(<\/)/, `$1${messageId}$2`);
  }
}

function signalResponse(relatesTo: string): string {
  return (
    '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" ' +
    'xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell"><s:Header>' +
    `<a:Action>${Action.Signal}Response</a:Action><a:MessageID>uuid:${randomUUID()}</a:MessageID>` +
    `<a:RelatesTo>${relatesTo}</a:RelatesTo></s:Header><s:Body><rsp:SignalResponse/></s:Body></s:Envelope>`
  );
}

describe('PowerShellShell', () => {
  it('opens a pool, runs a pipeline and closes against recorded Windows answers, one request beside the polls', () => {
    const exchanges = replayExchanges(FILE);
    const poolId = exchanges[0]!.toServer[0]!.runspacePoolId;
    const pipelineId = exchanges
      .flatMap((exchange) => exchange.toServer)
      .find((message) => message.messageType === MessageType.CreatePipeline)!.pipelineId;
    const pool = new RunspacePool({ runspacePoolId: poolId, envelopeOverhead: payloadEnvelopeOverhead(context) });
    const shell = new PowerShellShell({ pool, context, newMessageId: randomUUID });
    const host = new RecordedHost(FILE);
    const events: RunspacePoolEvent[] = [];
    const shellEvents: PowerShellShellEvent[] = [];
    const sent: AnyWSManRequest[] = [];
    const outstanding: AnyWSManRequest[] = [];

    const run = (act?: () => void) => {
      act?.();
      for (let step = 0; step < 50; step++) {
        for (let request = shell.dataToSend(); request !== undefined; request = shell.dataToSend()) {
          sent.push(request);
          outstanding.push(request);
        }
        expect(outstanding.filter((request) => request.operation !== 'Receive').length).toBeLessThanOrEqual(1);
        let answered: { request: AnyWSManRequest; response: string } | undefined;
        for (const request of outstanding) {
          const response = host.answer(request);
          if (response === undefined) continue;
          answered = { request, response };
          break;
        }
        if (answered === undefined) return; // only held long polls remain
        outstanding.splice(outstanding.indexOf(answered.request), 1);
        shell.receive(answered.request, new TextEncoder().encode(answered.response));
        for (let event = pool.nextEvent(); event !== undefined; event = pool.nextEvent()) events.push(event);
        for (let event = shell.nextEvent(); event !== undefined; event = shell.nextEvent()) shellEvents.push(event);
      }
      throw new Error('no rest after 50 exchanges');
    };

    run(() => pool.open());
    expect(pool.state).toBe('Opened');
    const pipeline = pool.createPipeline(scriptPipeline('recorded'), pipelineId);
    run(() => pipeline.invoke());
    expect(pipeline.state).toBe('Completed');
    expect(events.filter((event) => event.type === 'output').length).toBeGreaterThan(0);
    run(() => pool.close());
    expect(pool.state).toBe('Closed');
    expect(shellEvents).toEqual([{ type: 'shellClosed' }]);
    expect(shell.dataToSend()).toBeUndefined();

    const commandId = pipelineId.toUpperCase();
    const shape = sent.map((request) => {
      const stream = body(request.envelope) && childElement(body(request.envelope)!, Namespace.shell, 'DesiredStream');
      const commandOf = /CommandId="([^"]+)"/.exec(new TextDecoder().decode(request.envelope))?.[1];
      return `${request.operation}${stream === undefined ? '' : `:${stream.text}`}${commandOf === commandId ? '(C)' : ''}`;
    });
    // The pool is polled while it is live: its third Receive is still waiting when the shell is deleted.
    expect(shape).toEqual([
      'Create',
      'Receive:stdout',
      'Receive:stdout',
      'Receive:stdout',
      'Command(C)',
      'Receive:stdout(C)',
      'Signal(C)',
      'Delete',
    ]);

    const [create] = sent;
    const shellElement = body(create!.envelope)!;
    expect(shellElement.attributes.find((a) => a.localName === 'ShellId')?.value).toBe(poolId.toUpperCase());
    expect(childElement(shellElement, Namespace.shell, 'InputStreams')?.text).toBe('stdin pr');
    expect(childElement(shellElement, Namespace.powershell, 'creationXml')?.text).toMatch(/^[A-Za-z0-9+/]+=*$/);
    const options = childElement(header(create!.envelope), Namespace.wsman, 'OptionSet')!.children;
    expect(options.map((option) => [option.attributes.map((a) => a.value).sort(), option.text])).toEqual([
      [[OptionName.protocolVersion, 'true'].sort(), '2.3'],
    ]);
    const command = body(sent[4]!.envelope)!;
    expect(childElement(command, Namespace.shell, 'Command')?.text).toBe('');
    expect(command.children.filter((child) => child.localName === 'Arguments')).toHaveLength(1);
    expect(childElement(body(sent[6]!.envelope)!, Namespace.shell, 'Code')?.text).toBe(SignalCode.terminate);
  });

  it('measures the envelope around an empty payload as the largest of Create, Command and Send', () => {
    const overhead = payloadEnvelopeOverhead(context);
    expect(overhead).toBeGreaterThan(1000);
    expect(overhead).toBeLessThan(3000);
    // The resource URI appears once in the envelope: a longer configuration name costs its extra length.
    const longer = 'A.Much.Longer.Configuration.Name';
    expect(payloadEnvelopeOverhead(context, longer)).toBe(overhead + longer.length - 'Microsoft.PowerShell'.length);
  });
});
