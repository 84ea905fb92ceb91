import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RunspacePool, type RunspacePoolEvent } from '../../core/psrp/session';
import { captureFiles, replayExchanges } from '../../core/psrp/session/test-support/replay';
import {
  Action,
  Namespace,
  OptionName,
  WSManFaultCode,
  childElement,
  parseXml,
  type AnyWSManRequest,
  type WSManContext,
  type XmlElement,
} from '../../core/wsman';
import { PowerShellShell, payloadEnvelopeOverhead, type PowerShellShellEvent } from './powershell-shell';
import { fault } from './test-support/fake-winrs-host';

// PowerShellShell disconnecting, reconnecting and connecting as a new client, replayed against the session
// recorded from Windows Server 2016 (captures/windows/test_psrp_disconnect_runspaces.yml, pypsrp, MIT).

const FILE = 'test_psrp_disconnect_runspaces.yml';
const context: WSManContext = { to: 'https://h:5986/wsman', maxEnvelopeSize: 153600, operationTimeoutMs: 20000 };
const recorded = captureFiles().get(FILE) ?? [];
/** The first pool of the recording: its shell id is its (upper-case) runspace pool id. */
const shellId = /Name="ShellId">([^<]+)</.exec(recorded[1]?.request ?? '')?.[1] ?? '';

const body = (envelope: Uint8Array): XmlElement | undefined => parseXml(envelope).children[1]!.children[0];
const header = (envelope: Uint8Array): XmlElement => parseXml(envelope).children[0]!;
const selectedShell = (envelope: Uint8Array) => /Name="ShellId">([^<]+)</.exec(new TextDecoder().decode(envelope))?.[1];

/**
 * A client's side of the recording: answers each request with the next recorded exchange of the same
 * action among `indexes`, its RelatesTo rewritten; a Receive the client made beyond the recording is held
 * (a long poll with nothing to say) until the test answers it.
 */
class RecordedClient {
  readonly sent: AnyWSManRequest[] = [];
  readonly held: AnyWSManRequest[] = [];
  readonly poolEvents: RunspacePoolEvent[] = [];
  readonly shellEvents: PowerShellShellEvent[] = [];
  readonly #indexes: number[];

  constructor(
    readonly pool: RunspacePool,
    readonly shell: PowerShellShell,
    indexes: readonly number[],
  ) {
    this.#indexes = [...indexes];
  }

  /** Sends everything the shell has ready and answers from the recording until only held polls remain. */
  run(act?: () => void): void {
    act?.();
    const outstanding: AnyWSManRequest[] = [];
    for (let step = 0; step < 50; step++) {
      for (let request = this.shell.dataToSend(); request !== undefined; request = this.shell.dataToSend()) {
        this.sent.push(request);
        outstanding.push(request);
      }
      const request = outstanding.shift();
      if (request === undefined) return;
      const at = this.#indexes.findIndex((index) =>
        recorded[index]!.request.includes(`>${Action[request.operation]}<`),
      );
      if (at === -1) {
        if (request.operation !== 'Receive') throw new Error(`the recording has no further ${request.operation}`);
        this.held.push(request);
        continue;
      }
      const [index] = this.#indexes.splice(0, at + 1).slice(-1);
      expect(selectedShell(request.envelope) ?? shellId).toBe(shellId);
      this.answer(request, recordedResponse(index!, request));
    }
    throw new Error('no rest after 50 exchanges');
  }

  answer(request: AnyWSManRequest, response: string): void {
    this.shell.receive(request, new TextEncoder().encode(response));
    for (let event = this.pool.nextEvent(); event !== undefined; event = this.pool.nextEvent()) {
      this.poolEvents.push(event);
    }
    for (let event = this.shell.nextEvent(); event !== undefined; event = this.shell.nextEvent()) {
      this.shellEvents.push(event);
    }
  }

  /** The server ends every held poll as the lab and Windows do when the shell is disconnected. */
  cutHeldPolls(): void {
    for (const request of this.held.splice(0)) {
      const relatesTo = `uuid:${request.messageId.toUpperCase()}`;
      this.answer(request, fault(relatesTo, WSManFaultCode.ServiceStreamDisconnected, 'The shell was disconnected.'));
    }
  }

  operations(): string[] {
    return this.sent.map((request) => request.operation);
  }

  poolStates(): string[] {
    return this.poolEvents.flatMap((event) => (event.type === 'stateChanged' ? [event.state] : []));
  }
}

/** The response of exchange `index`, answering `request`. */
function recordedResponse(index: number, request: AnyWSManRequest): string {
  const relatesTo = `uuid:${request.messageId.toUpperCase()}`;
  return recorded[index]!.response!.replace(/(<a:RelatesTo>)[^<]*(<\/)/, `$1${relatesTo}$2`);
}

function newClient(indexes: readonly number[], existingShellId?: string): RecordedClient {
  const poolId = replayExchanges(FILE)[0]!.toServer[0]!.runspacePoolId;
  const pool = new RunspacePool({ runspacePoolId: poolId, envelopeOverhead: payloadEnvelopeOverhead(context) });
  const shell = new PowerShellShell({ pool, context, newMessageId: randomUUID, existingShellId });
  return new RecordedClient(pool, shell, indexes);
}

describe('PowerShellShell disconnects, reconnects and connects against recorded Windows answers', () => {
  it('stops polling on Disconnect, reports Disconnected once the cut poll is back, and polls again on Reconnect', () => {
    const client = newClient([0, 1, 2, 3, 4, 5, 6]);
    client.run(() => client.pool.open());
    expect(client.pool.state).toBe('Opened');
    expect(client.held.map((request) => request.operation)).toEqual(['Receive']);

    client.run(() => client.pool.disconnect());
    // DisconnectResponse is in, but the pool's long poll has not come back yet.
    expect(client.pool.state).toBe('Disconnecting');
    expect(client.shell.dataToSend()).toBeUndefined();
    client.cutHeldPolls();
    expect(client.pool.state).toBe('Disconnected');
    expect(client.shellEvents).toEqual([]);
    expect(client.shell.dataToSend()).toBeUndefined();

    client.pool.reconnect();
    const reconnect = client.shell.dataToSend()!;
    expect(reconnect.operation).toBe('Reconnect');
    // Until the server has reattached the shell, a Receive would be refused as on a disconnected shell.
    expect(client.shell.dataToSend()).toBeUndefined();
    client.sent.push(reconnect);
    client.run(() => client.answer(reconnect, recordedResponse(5, reconnect)));
    expect(client.pool.state).toBe('Opened');
    expect(client.operations().slice(-2)).toEqual(['Reconnect', 'Receive']);
    client.run(() => client.pool.disconnect());
    expect(client.pool.state).toBe('Disconnecting');
    client.cutHeldPolls();
    expect(client.pool.state).toBe('Disconnected');
    expect(client.shellEvents).toEqual([]);
    expect(client.poolStates()).toEqual([
      'Opening',
      'Opened',
      'Disconnecting',
      'Disconnected',
      'Connecting',
      'Opened',
      'Disconnecting',
      'Disconnected',
    ]);

    const [disconnect] = client.sent.filter((request) => request.operation === 'Disconnect');
    expect(body(disconnect!.envelope)?.localName).toBe('Disconnect');
    expect(body(reconnect.envelope)).toBeUndefined();
    expect(
      client.sent.every((request) => request.operation === 'Create' || selectedShell(request.envelope) === shellId),
    ).toBe(true);
  });

  it('connects a new client with connectXml, takes the pool state from the connect response, and deletes the shell', () => {
    const client = newClient([14, 15, 18], shellId);
    client.run(() => client.pool.connect());
    expect(client.pool.state).toBe('Opened');
    expect([client.pool.minRunspaces, client.pool.maxRunspaces]).toEqual([1, 1]);
    expect(client.pool.serverCapability?.protocolVersion.toString()).toBe('2.3');
    expect(client.operations()).toEqual(['Connect', 'Receive', 'Receive']);

    const connect = client.sent[0]!;
    const connectBody = body(connect.envelope)!;
    expect(connectBody.attributes.find((attribute) => attribute.localName === 'CommandId')).toBeUndefined();
    expect(childElement(connectBody, Namespace.powershell, 'connectXml')?.text).toMatch(/^[A-Za-z0-9+/]+=*$/);
    const options = childElement(header(connect.envelope), Namespace.wsman, 'OptionSet')!.children;
    expect(options.map((option) => [option.attributes.map((a) => a.value).sort(), option.text])).toEqual([
      [[OptionName.protocolVersion, 'true'].sort(), '2.3'],
    ]);

    client.run(() => client.pool.close());
    expect(client.pool.state).toBe('Closed');
    expect(client.shellEvents).toEqual([{ type: 'shellClosed' }]);
  });

  it('sends no Receive before the Connect is answered, then connects a running pipeline by its CommandId', () => {
    const client = newClient([14, 15], shellId);
    client.pool.connect();
    const connect = client.shell.dataToSend()!;
    expect(connect.operation).toBe('Connect');
    expect(client.shell.dataToSend()).toBeUndefined();
    client.run(() => client.answer(connect, recordedResponse(14, connect)));
    expect(client.pool.state).toBe('Opened');

    const pipelineId = randomUUID();
    client.pool.connectPipeline(pipelineId);
    const connectPipeline = client.shell.dataToSend()!;
    expect(connectPipeline.operation).toBe('Connect');
    expect(body(connectPipeline.envelope)?.attributes.find((a) => a.localName === 'CommandId')?.value).toBe(
      pipelineId.toUpperCase(),
    );
    expect(body(connectPipeline.envelope)?.children).toEqual([]);
    expect(client.shell.dataToSend()).toBeUndefined();
    const relatesTo = `uuid:${connectPipeline.messageId.toUpperCase()}`;
    client.answer(connectPipeline, connectResponse(relatesTo));
    const receive = client.shell.dataToSend()!;
    expect(receive.operation).toBe('Receive');
    const desired = childElement(body(receive.envelope)!, Namespace.shell, 'DesiredStream');
    expect(desired?.attributes.find((a) => a.localName === 'CommandId')?.value).toBe(pipelineId.toUpperCase());
  });
});

function connectResponse(relatesTo: string): string {
  return (
    '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" ' +
    'xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell"><s:Header>' +
    `<a:Action>${Action.Connect}Response</a:Action><a:MessageID>uuid:${randomUUID()}</a:MessageID>` +
    `<a:RelatesTo>${relatesTo}</a:RelatesTo></s:Header><s:Body><rsp:ConnectResponse/></s:Body></s:Envelope>`
  );
}
