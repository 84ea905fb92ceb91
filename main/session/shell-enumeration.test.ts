import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { captureFiles } from '../../core/psrp/session/test-support/replay';
import { Action, Namespace, ResourceUri, WSManFaultCode, childElement, parseXml, WSManFault } from '../../core/wsman';
import { basicMechanism, DEFAULT_TIMEOUTS, HttpHeaders, type WinRMResponse } from '../transport';
import { listDisconnectedShells } from './shell-enumeration';
import { fault } from './test-support/fake-winrs-host';
import type { PostingTransport } from './transport-lanes';

// Shell and command enumeration answered with the responses Windows Server 2016 sent for them
// (captures/windows/test_psrp_disconnect_runspaces.yml, pypsrp, MIT), and with synthetic continuations.

const recorded = captureFiles().get('test_psrp_disconnect_runspaces.yml') ?? [];
const enumerations = recorded.filter((exchange) => exchange.request.includes(`>${Action.Enumerate}<`));

const messageIdOf = (envelope: Uint8Array) =>
  childElement(parseXml(envelope).children[0]!, Namespace.addressing, 'MessageID')!.text;
const relate = (response: string, envelope: Uint8Array) =>
  response.replace(/(<a:RelatesTo>)[^<]*(<\/)/, `$1${messageIdOf(envelope)}$2`);

/** A transport answering each request with the next of `answers` (given the request's envelope). */
function scriptedHost(answers: ((envelope: Uint8Array) => string)[]) {
  const requests: string[] = [];
  const transports: { closed: boolean }[] = [];
  const open = (): PostingTransport => {
    const state = { closed: false };
    transports.push(state);
    return {
      endpoint: 'http://h:5985/wsman',
      timeouts: DEFAULT_TIMEOUTS,
      post: async (envelope): Promise<WinRMResponse> => {
        requests.push(Buffer.from(envelope).toString('utf8'));
        const answer = answers.shift();
        if (answer === undefined) throw new Error('no answer scripted');
        const text = answer(envelope);
        const status = text.includes('<s:Fault>') ? 500 : 200;
        return { status, headers: new HttpHeaders([]), body: Buffer.from(text), encrypted: false };
      },
      close: () => void (state.closed = true),
    };
  };
  const options = {
    transport: { endpoint: 'http://h:5985/wsman', mechanism: basicMechanism({ user: 'u', password: 'p' }) },
    openTransport: open,
  };
  return { options, requests, transports };
}

describe('listDisconnectedShells', () => {
  it('lists the disconnected PowerShell shells and enumerates the commands of each (recorded Windows answers)', async () => {
    const host = scriptedHost(enumerations.map((exchange) => (envelope) => relate(exchange.response!, envelope)));
    const shells = await listDisconnectedShells(host.options);
    expect(shells.map((shell) => [shell.shellId, shell.configurationName, shell.info.state, shell.commands])).toEqual([
      ['B6631D8E-65A0-49F2-9053-A1B156C95777', 'Microsoft.PowerShell', 'Disconnected', []],
      ['01AA3E43-9E21-424B-A7FC-BC16AA34F4CE', 'Microsoft.PowerShell', 'Disconnected', []],
    ]);
    expect(shells[0]!.info.owner).toBe('WIN-NNMU24VVKJ0\\vagrant');
    expect(host.requests).toHaveLength(3);
    expect(host.requests[0]).toContain(`>${ResourceUri.shell}<`);
    expect(host.requests[1]).toContain(`>${ResourceUri.shellCommand}<`);
    expect(host.requests[1]).toMatch(/<\w+:Selector Name="ShellId">B6631D8E-65A0-49F2-9053-A1B156C95777</);
    expect(host.transports.every((transport) => transport.closed)).toBe(true);
  });

  it('skips connected and cmd shells, pulls the rest of an enumeration, and reads command states', async () => {
    const shell = (id: string, resource: string, state: string) =>
      `<rsp:Shell><rsp:ShellId>${id}</rsp:ShellId><rsp:ResourceUri>${resource}</rsp:ResourceUri><rsp:State>${state}</rsp:State></rsp:Shell>`;
    const command = (id: string, state: string) =>
      `<rsp:Command><rsp:CommandId>${id}</rsp:CommandId><rsp:CommandLine/><rsp:CommandState>http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/${state}</rsp:CommandState></rsp:Command>`;
    const page = (operation: 'Enumerate' | 'Pull', context: string, items: string) => (envelope: Uint8Array) =>
      enumerationResponse(messageIdOf(envelope), operation, context, items);
    const host = scriptedHost([
      page(
        'Enumerate',
        'ctx-1',
        shell('S1', ResourceUri.powerShell, 'Connected') + shell('S2', ResourceUri.cmd, 'Disconnected'),
      ),
      page('Pull', '', shell('S3', 'http://schemas.microsoft.com/powershell/Lab.Restricted', 'Disconnected')),
      page('Enumerate', '', command('C1', 'Running') + command('C2', 'Done')),
    ]);
    const shells = await listDisconnectedShells(host.options);
    expect(shells.map((found) => [found.shellId, found.configurationName, found.commands])).toEqual([
      [
        'S3',
        'Lab.Restricted',
        [
          { commandId: 'C1', state: 'Running' },
          { commandId: 'C2', state: 'Done' },
        ],
      ],
    ]);
    expect(host.requests[1]).toContain('>ctx-1<');
  });

  it('throws the server refusal as its WSManFault and closes the connection', async () => {
    const host = scriptedHost([
      (envelope) => fault(messageIdOf(envelope), WSManFaultCode.InvalidParameter, 'The enumeration is not valid.'),
    ]);
    const error = await listDisconnectedShells(host.options).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(WSManFault);
    expect(error).toMatchObject({ code: WSManFaultCode.InvalidParameter, message: 'The enumeration is not valid.' });
    expect(host.transports.every((transport) => transport.closed)).toBe(true);
  });
});

function enumerationResponse(
  relatesTo: string,
  operation: 'Enumerate' | 'Pull',
  context: string,
  items: string,
): string {
  const end = context === '' ? '<w:EndOfSequence/>' : '';
  return (
    '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" ' +
    'xmlns:n="http://schemas.xmlsoap.org/ws/2004/09/enumeration" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" ' +
    'xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell"><s:Header>' +
    `<a:Action>${Action[operation]}Response</a:Action><a:MessageID>uuid:00000000-0000-0000-0000-000000000001</a:MessageID>` +
    `<a:RelatesTo>${relatesTo}</a:RelatesTo></s:Header><s:Body><n:${operation}Response>` +
    `<n:EnumerationContext>${context}</n:EnumerationContext><w:Items>${items}</w:Items>${end}` +
    `</n:${operation}Response></s:Body></s:Envelope>`
  );
}
