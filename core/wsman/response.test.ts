import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../errors';
import { MalformedResponseError, MalformedXmlError, RelatesToMismatchError } from './errors';
import { WSManFault, WSManFaultCode, isOperationTimeout } from './fault';
import { buildReceive, type AnyWSManRequest, type WSManRequest } from './requests';
import { readShellInfo, readWinRMConfig } from './resources';
import { parseResponse, type ResultOf } from './response';
import { CAPTURES_DIRECTORY, readCapture, recordedRequest, type CapturedExchange } from './test-support/captures';
import { Namespace } from './namespaces';
import type { WSManOperation } from './uris';

const files = readdirSync(CAPTURES_DIRECTORY)
  .filter((name) => name.endsWith('.yml'))
  .sort();
const captures = new Map(
  files.map((file) => [file, readCapture(readFileSync(new URL(file, CAPTURES_DIRECTORY), 'utf8'))]),
);

function exchange(file: string, index: number): CapturedExchange {
  const found = captures.get(file)?.[index];
  if (found === undefined) throw new Error(`no exchange ${index} in ${file}`);
  return found;
}

/** Parses the recorded response of exchange `index`, which must answer a request of `operation`. */
function parseRecorded<O extends WSManOperation>(file: string, index: number, operation: O): ResultOf[O] {
  const { request, response } = exchange(file, index);
  const recorded = recordedRequest(request);
  expect(recorded.operation).toBe(operation);
  return parseResponse(recorded as WSManRequest<O>, response ?? '');
}

function faultOf(run: () => unknown): WSManFault {
  try {
    run();
  } catch (error) {
    if (error instanceof WSManFault) return error;
    throw error;
  }
  throw new Error('expected a WSManFault');
}

const context = { to: 'http://host:5985/wsman', maxEnvelopeSize: 153600, operationTimeoutMs: 20000 };
const shellTarget = { resourceUri: 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd', selectors: [] };
const messageId = '4CECD2A8-45E1-4835-B5D9-F4CEB4308A0F';
const receiveRequest: WSManRequest<'Receive'> = buildReceive(context, messageId, {
  ...shellTarget,
  desiredStreams: ['stdout', 'stderr'],
});

function envelope(body: string, options: { action?: string; relatesTo?: string | null } = {}): string {
  const action = options.action ?? 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/ReceiveResponse';
  const relatesTo = options.relatesTo === undefined ? `uuid:${messageId}` : options.relatesTo;
  return (
    '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing"' +
    ' xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell"><s:Header>' +
    `<a:Action>${action}</a:Action>` +
    (relatesTo === null ? '' : `<a:RelatesTo>${relatesTo}</a:RelatesTo>`) +
    `</s:Header><s:Body>${body}</s:Body></s:Envelope>`
  );
}

describe('parseResponse over every recorded capture', () => {
  it('accepts every response of all 48 captures; faults, and only they, come back as WSManFault', () => {
    let results = 0;
    const faults: string[] = [];
    for (const [file, exchanges] of captures) {
      exchanges.forEach((recorded, index) => {
        if (recorded.response === undefined) return;
        try {
          parseResponse(recordedRequest(recorded.request), recorded.response);
          results++;
        } catch (error) {
          expect(error, `${file} #${index}`).toBeInstanceOf(WSManFault);
          faults.push(`${file} #${index}${recorded.httpStatus === 500 ? ' (HTTP 500)' : ''}`);
        }
      });
    }
    expect(results).toBe(345);
    // Every HTTP 500 of the recordings is a fault; one timeout fault was recorded without the status,
    // which is why the parser goes by the body and never by the status.
    expect(faults).toEqual([
      'test_psrp_is_alive_invalid_selectors.yml #4 (HTTP 500)',
      'test_psrp_is_alive_other_wsman_error.yml #3 (HTTP 500)',
      'test_psrp_long_running_cmdlet.yml #4',
      'test_psrp_long_running_cmdlet.yml #5 (HTTP 500)',
      'test_psrp_receive_failure.yml #3 (HTTP 500)',
      'test_winrs_bad_cmd_id.yml #2 (HTTP 500)',
      'test_winrs_fail_poll_process.yml #1 (HTTP 500)',
      'test_winrs_no_cmd_shell.yml #1 (HTTP 500)',
      'test_winrs_operation_timeout.yml #3 (HTTP 500)',
      'test_winrs_operation_timeout.yml #4 (HTTP 500)',
    ]);
  });

  it('reads a CreateResponse: selectors, resource and the shell details', () => {
    const created = parseRecorded('test_winrs_standard.yml', 0, 'Create');
    expect(created.shellId).toBe('4283CBDC-3706-415B-88BD-B385F3E51A53');
    expect(created.selectors).toEqual([{ name: 'ShellId', value: '4283CBDC-3706-415B-88BD-B385F3E51A53' }]);
    expect(created.resourceUri).toBe('http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd');
    expect(created.address).toBe('http://192.168.56.11:5985/wsman');
    expect(created.shell).toMatchObject({
      shellId: '4283CBDC-3706-415B-88BD-B385F3E51A53',
      owner: 'vagrant',
      clientIp: '192.168.56.1',
      idleTimeoutMs: 7_200_000,
      inputStreams: ['stdin'],
      outputStreams: ['stdout', 'stderr'],
      shellRunTimeMs: 0,
    });
  });

  it('reads the environment a server echoes in its CreateResponse, entities decoded', () => {
    const created = parseRecorded('test_client_execute_cmd_environment.yml', 0, 'Create');
    expect(created.shell?.environment).toEqual([
      ['string', 'string value'],
      ['int', '1234'],
      ['bool', 'True'],
      ['double_quote', 'double " quote'],
      ['single_quote', "single ' quote"],
      ['hyphen - var', 'abc @ 123'],
    ]);
  });

  it('reads a CommandResponse', () => {
    expect(parseRecorded('test_winrs_standard.yml', 1, 'Command')).toEqual({
      commandId: 'CF84C20A-0A35-43FA-AF78-0B4711DA5F30',
    });
  });

  it('reads a ReceiveResponse: streams in order, base64 decoded, End flags, CommandState and ExitCode', () => {
    const commandId = 'CF84C20A-0A35-43FA-AF78-0B4711DA5F30';
    expect(parseRecorded('test_winrs_standard.yml', 2, 'Receive')).toEqual({
      streams: [
        { name: 'stdout', commandId, data: new Uint8Array(Buffer.from('hi\r\n')), end: false },
        { name: 'stdout', commandId, data: new Uint8Array(0), end: true },
        { name: 'stderr', commandId, data: new Uint8Array(0), end: true },
      ],
      commandState: { commandId, state: 'Done', exitCode: 0 },
    });
    const running = parseRecorded('test_winrs_operation_timeout.yml', 2, 'Receive');
    expect(running.commandState).toEqual({
      commandId: 'D644AE56-61E5-4C1A-A135-E599B76B3035',
      state: 'Running',
      exitCode: undefined,
    });
  });

  it('reads PSRP pool output: streams without CommandId carrying fragments that start with the UTF-8 BOM', () => {
    const received = parseRecorded('test_psrp_open_runspace.yml', 1, 'Receive');
    expect(received.streams).toHaveLength(2);
    const first = received.streams[0]?.data ?? new Uint8Array();
    // Fragment header (21 bytes), message header (40 bytes), then the BOM (PROTOCOL.md §9 item 3).
    expect([...first.subarray(61, 64)]).toEqual([0xef, 0xbb, 0xbf]);
  });

  it('reads enumeration results: shell items, an empty context and EndOfSequence', () => {
    const shells = parseRecorded('test_psrp_disconnect_runspaces.yml', 11, 'Enumerate');
    expect(shells.enumerationContext).toBeUndefined();
    expect(shells.items.length).toBeGreaterThan(0);
    const info = shells.items.map(readShellInfo);
    expect(info.map((shell) => shell.state)).toContain('Disconnected');
    expect(info[0]).toMatchObject({ shellId: 'B6631D8E-65A0-49F2-9053-A1B156C95777', inputStreams: ['stdin', 'pr'] });
    expect(parseRecorded('test_psrp_disconnect_runspaces.yml', 12, 'Enumerate')).toEqual({
      enumerationContext: undefined,
      items: [],
      endOfSequence: true,
    });
  });

  it('reads a ConnectResponse with its PSRP payload', () => {
    const connected = parseRecorded('test_psrp_disconnect_runspaces.yml', 14, 'Connect');
    expect(connected.inputStreams).toEqual(['stdin', 'pr']);
    expect(connected.outputStreams).toEqual(['stdout']);
    // The first fragment: ObjectId 4 (big-endian u64), FragmentId 0.
    expect([...(connected.payload ?? []).slice(0, 8)]).toEqual([0, 0, 0, 0, 0, 0, 0, 4]);
  });

  it('reads empty results of Send, Signal, Delete, Disconnect and Reconnect', () => {
    expect(parseRecorded('test_winrs_send.yml', 2, 'Send')).toEqual({});
    expect(parseRecorded('test_winrs_standard.yml', 3, 'Signal')).toEqual({});
    expect(parseRecorded('test_winrs_standard.yml', 4, 'Delete')).toEqual({});
    expect(parseRecorded('test_psrp_disconnect_runspaces.yml', 4, 'Disconnect')).toEqual({});
    expect(parseRecorded('test_psrp_disconnect_runspaces.yml', 5, 'Reconnect')).toEqual({});
  });

  it('reads the WinRM configuration from a config Get (500 and 150 KiB servers)', () => {
    const config = (file: string) => readWinRMConfig(parseRecorded(file, 0, 'Get').resource);
    expect(config('test_wsman_update_envelope_size_500.yml')).toEqual({
      maxEnvelopeSizeKb: 500,
      maxTimeoutMs: 60000,
      maxBatchItems: 32000,
      service: {
        allowUnencrypted: false,
        maxConcurrentOperationsPerUser: 1500,
        cbtHardeningLevel: 'Relaxed',
        auth: { basic: true, kerberos: true, negotiate: true, certificate: false, credSsp: true },
      },
      winrs: {
        allowRemoteShellAccess: true,
        idleTimeoutMs: 7_200_000,
        maxShellsPerUser: 2147483647,
        maxProcessesPerShell: 2147483647,
        maxMemoryPerShellMb: 2147483647,
      },
    });
    expect(config('test_wsman_update_envelope_size_150.yml').maxEnvelopeSizeKb).toBe(150);
  });

  it('reads a shell Get (the is-alive probe) including its state', () => {
    const get = (index: number) =>
      readShellInfo(parseRecorded('test_psrp_is_alive_state_disconnected.yml', index, 'Get').resource);
    expect(get(3)).toMatchObject({ state: 'Connected', processId: 2852, maxIdleTimeoutMs: 2_147_483_647 });
    expect(get(4)).toMatchObject({
      state: 'Disconnected',
      shellRunTimeMs: 62_000,
      memoryUsed: '57MB',
      profileLoaded: true,
    });
  });
});

describe('WSManFault', () => {
  it('reads the Receive timeout fault (normal: poll again)', () => {
    const fault = faultOf(() => parseRecorded('test_winrs_operation_timeout.yml', 3, 'Receive'));
    expect(fault.code).toBe(WSManFaultCode.OperationTimeout);
    expect(isOperationTimeout(fault)).toBe(true);
    expect(fault.machine).toBe('192.168.56.11');
    expect(fault.soapCode).toEqual({ namespace: Namespace.soap, localName: 'Receiver' });
    expect(fault.subcode).toEqual({ namespace: Namespace.wsman, localName: 'TimedOut' });
    expect(fault.message).toBe(
      'The WS-Management service cannot complete the operation within the time specified in OperationTimeout.',
    );
    expect(fault.action).toBe('http://schemas.dmtf.org/wbem/wsman/1/wsman/fault');
    expect(fault).not.toBeInstanceOf(ProtocolError);
  });

  it('reads a provider fault nested in an UnexpectedSelectors fault', () => {
    const fault = faultOf(() => parseRecorded('test_psrp_is_alive_invalid_selectors.yml', 4, 'Get'));
    expect(fault.code).toBe(WSManFaultCode.UnexpectedSelectors);
    expect(isOperationTimeout(fault)).toBe(false);
    expect(fault.faultDetail).toBe('http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/UnexpectedSelectors');
    expect(fault.subcode?.localName).toBe('InvalidSelectors');
    expect(fault.providerFault).toEqual({
      provider: 'Shell provider',
      path: '%systemroot%\\system32\\WsmSvc.dll',
      message:
        'The WS-Management service cannot process the request because the request contained invalid selectors for the resource.',
    });
  });

  it('reads a cmd plugin provider fault and a WS-Addressing fault', () => {
    const invalidParameter = faultOf(() => parseRecorded('test_winrs_fail_poll_process.yml', 1, 'Receive'));
    expect(invalidParameter).toMatchObject({
      code: WSManFaultCode.InvalidParameter,
      machine: '127.0.0.1',
      message: 'The parameter is incorrect.',
      providerFault: { provider: 'Shell cmd plugin', message: 'The parameter is incorrect.' },
    });
    const badHeader = faultOf(() => parseRecorded('test_psrp_is_alive_other_wsman_error.yml', 3, 'Get'));
    expect(badHeader.code).toBe(2150858767);
    expect(badHeader.action).toBe('http://schemas.xmlsoap.org/ws/2004/08/addressing/fault');
    expect(badHeader.subcode).toEqual({
      namespace: Namespace.addressing,
      localName: 'InvalidMessageInformationHeader',
    });
    expect(badHeader.message).toContain('invalid timeout field in the SOAP header: PT-1S');
  });

  it('reads a fault without a WSManFault detail, and one whose RelatesTo is missing', () => {
    const fault = faultOf(() =>
      parseResponse(
        receiveRequest,
        envelope(
          '<s:Fault><s:Code><s:Value>s:Sender</s:Value></s:Code><s:Reason><s:Text xml:lang="en-US">No.</s:Text></s:Reason></s:Fault>',
          { action: 'http://schemas.dmtf.org/wbem/wsman/1/wsman/fault', relatesTo: null },
        ),
      ),
    );
    expect(fault).toMatchObject({ code: undefined, reason: 'No.', message: 'No.', providerFault: undefined });
  });

  it('reads a WMI error detail', () => {
    const wmi =
      '<s:Fault><s:Code><s:Value>s:Receiver</s:Value></s:Code><s:Reason><s:Text>r</s:Text></s:Reason><s:Detail>' +
      '<p:MSFT_WmiError xmlns:p="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/MSFT_WmiError">' +
      '<p:Message>Access denied</p:Message><p:error_Code>2150859046</p:error_Code></p:MSFT_WmiError></s:Detail></s:Fault>';
    expect(faultOf(() => parseResponse(receiveRequest, envelope(wmi)))).toMatchObject({
      code: 2150859046,
      message: 'Access denied',
    });
  });
});

describe('parseResponse refusals', () => {
  const done = '<rsp:ReceiveResponse><rsp:Stream Name="stdout">aGk=</rsp:Stream></rsp:ReceiveResponse>';

  it('accepts a matching RelatesTo in any letter case', () => {
    expect(
      parseResponse(receiveRequest, envelope(done, { relatesTo: `uuid:${messageId.toLowerCase()}` })),
    ).toBeDefined();
  });

  it('refuses a response that relates to another request, or to none', () => {
    expect(() =>
      parseResponse(receiveRequest, envelope(done, { relatesTo: 'uuid:00000000-0000-0000-0000-000000000000' })),
    ).toThrow(RelatesToMismatchError);
    expect(() => parseResponse(receiveRequest, envelope(done, { relatesTo: null }))).toThrow(RelatesToMismatchError);
    const fault = '<s:Fault><s:Code><s:Value>s:Sender</s:Value></s:Code></s:Fault>';
    expect(() =>
      parseResponse(receiveRequest, envelope(fault, { relatesTo: 'uuid:00000000-0000-0000-0000-000000000000' })),
    ).toThrow(RelatesToMismatchError);
  });

  it('refuses the wrong action, a fault action without a fault, and a missing result element', () => {
    const wrongAction = envelope(done, {
      action: 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/SendResponse',
    });
    expect(() => parseResponse(receiveRequest, wrongAction)).toThrow(MalformedResponseError);
    const faultAction = envelope(done, { action: 'http://schemas.dmtf.org/wbem/wsman/1/wsman/fault' });
    expect(() => parseResponse(receiveRequest, faultAction)).toThrow(/without an s:Fault body/);
    expect(() => parseResponse(receiveRequest, envelope(''))).toThrow(/has no ReceiveResponse/);
  });

  it('refuses invalid base64, unknown command states, bad End flags and exit codes', () => {
    const receive = (inner: string) => () =>
      parseResponse(receiveRequest, envelope(`<rsp:ReceiveResponse>${inner}</rsp:ReceiveResponse>`));
    expect(receive('<rsp:Stream Name="stdout">a$==</rsp:Stream>')).toThrow(/not valid base64/);
    expect(receive('<rsp:Stream Name="stdout">aGk</rsp:Stream>')).toThrow(/not valid base64/);
    expect(receive('<rsp:Stream>aGk=</rsp:Stream>')).toThrow(/has no Name/);
    expect(receive('<rsp:Stream Name="stdout" End="maybe"></rsp:Stream>')).toThrow(/not a boolean/);
    expect(receive('<rsp:CommandState State="urn:other"/>')).toThrow(/unknown command state/);
    const doneState = 'State="http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Done"';
    expect(receive(`<rsp:CommandState ${doneState}><rsp:ExitCode>x</rsp:ExitCode></rsp:CommandState>`)).toThrow(
      /not a 32-bit integer/,
    );
    expect(
      receive(`<rsp:CommandState ${doneState}><rsp:ExitCode>4294967296</rsp:ExitCode></rsp:CommandState>`),
    ).toThrow(/not a 32-bit integer/);
    const parsed = parseResponse(
      receiveRequest,
      envelope(
        `<rsp:ReceiveResponse><rsp:CommandState ${doneState}><rsp:ExitCode>-1</rsp:ExitCode></rsp:CommandState></rsp:ReceiveResponse>`,
      ),
    );
    expect(parsed.commandState?.exitCode).toBe(-1);
  });

  it('refuses what is not a SOAP envelope, as typed protocol errors', () => {
    expect(() => parseResponse(receiveRequest, '<html><body>Bad gateway</body></html>')).toThrow(
      MalformedResponseError,
    );
    expect(() => parseResponse(receiveRequest, 'Service Unavailable')).toThrow(MalformedXmlError);
    expect(() =>
      parseResponse(receiveRequest, '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"/>'),
    ).toThrow(/SOAP 1.2 Envelope/);
    expect(() => parseResponse(receiveRequest, envelope(done).replace(/<s:Body>.*<\/s:Body>/, ''))).toThrow(
      /has no Body/,
    );
  });

  it('types the request it parses for: a union request narrows by operation', () => {
    const request: AnyWSManRequest = receiveRequest;
    if (request.operation === 'Receive') {
      const result = parseResponse(request, envelope(done));
      expect(Buffer.from(result.streams[0]?.data ?? []).toString()).toBe('hi');
    }
  });
});
