import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../errors';
import { deserializeClixml, primitive, PSObject, PSVersion, serializeClixml } from '../../clixml';
import { CommandTypes, enumObject, enumText, PipelineResultTypes, RemoteStreamOptions, ApartmentState } from './enums';
import { hostInfoObject, hostWithUI, NO_HOST } from './host-info';
import { createPipelineBody, scriptPipeline } from './pipeline';
import {
  atLeast,
  connectRunspacePoolBody,
  initRunspacePoolBody,
  PROTOCOL_2_2,
  readRunspaceAvailability,
  readSessionCapability,
  readUserEvent,
} from './pool';
import { Fields, MessageBodyError } from './read';
import { readErrorRecord, readInformationRecord, readProgressRecord, textOf } from './records';
import { SecureText } from './values';

const context = { serverProtocol: new PSVersion(2, 3), poolHost: NO_HOST, encrypt: (t: string) => btoa(t) };

describe('enums', () => {
  it('write .NET names: exact names first, flags as the names of their bits', () => {
    expect(enumText(RemoteStreamOptions, 15)).toBe('AddInvocationInfo');
    expect(enumText(RemoteStreamOptions, 3)).toBe('AddInvocationInfoToErrorRecord, AddInvocationInfoToWarningRecord');
    expect(enumText(CommandTypes, 9)).toBe('Alias, Cmdlet');
    expect(enumText(CommandTypes, 1024)).toBe('1024');
    expect(enumText(PipelineResultTypes, 3)).toBe('Warning');
    expect(enumText(ApartmentState, 7)).toBe('7');
    expect(serializeClixml(enumObject(ApartmentState, 'Unknown'))).toBe(
      '<Obj RefId="0"><TN RefId="0"><T>System.Management.Automation.Runspaces.ApartmentState</T><T>System.Enum</T><T>System.ValueType</T><T>System.Object</T></TN><ToString>Unknown</ToString><I32>2</I32></Obj>',
    );
    expect(() => enumObject(ApartmentState, 'Neither' as never)).toThrow(UsageError);
  });
});

describe('pool message bodies', () => {
  it('write INIT_RUNSPACEPOOL with application arguments as a PSPrimitiveDictionary', () => {
    const xml = initRunspacePoolBody({
      minRunspaces: 1,
      maxRunspaces: 2,
      threadOptions: 'ReuseThread',
      apartmentState: 'MTA',
      host: NO_HOST,
      applicationArguments: new Map([['Tenant', 'blue']]),
    });
    const value = deserializeClixml(xml) as PSObject;
    const args = value.property('ApplicationArguments') as PSObject;
    expect(args.typeNames[0]).toBe('System.Management.Automation.PSPrimitiveDictionary');
    expect(args.value).toEqual({
      kind: 'Dictionary',
      entries: [{ key: primitive('String', 'Tenant'), value: primitive('String', 'blue') }],
    });
    expect(xml).toContain('<ToString>ReuseThread</ToString><I32>2</I32>');
  });

  it('write CONNECT_RUNSPACEPOOL as an empty string or with limits', () => {
    expect(connectRunspacePoolBody()).toBe('<S></S>');
    expect(connectRunspacePoolBody({ minRunspaces: 1, maxRunspaces: 4 })).toContain('<I32 N="MaxRunspaces">4</I32>');
  });

  it('read the server messages and report what is missing', () => {
    expect(() => readSessionCapability(deserializeClixml('<Obj RefId="0"><MS /></Obj>'))).toThrow(
      /SESSION_CAPABILITY: the property protocolversion is missing/,
    );
    expect(() => readRunspaceAvailability(primitive('String', 'x'))).toThrow(MessageBodyError);
    const event = readUserEvent(
      deserializeClixml(
        '<Obj RefId="0"><MS><I32 N="PSEventArgs.EventIdentifier">3</I32><S N="PSEventArgs.SourceIdentifier">Timer</S><DT N="PSEventArgs.TimeGenerated">2024-01-02T03:04:05Z</DT><Nil N="PSEventArgs.Sender" /><S N="PSEventArgs.ComputerName">host</S><G N="PSEventArgs.RunspaceId">0f8fad5b-d9cb-469f-a165-70867728950e</G></MS></Obj>',
      ),
    );
    expect(event).toMatchObject({
      eventIdentifier: 3,
      sourceIdentifier: 'Timer',
      computerName: 'host',
      runspaceId: '0f8fad5b-d9cb-469f-a165-70867728950e',
      messageData: null,
    });
    expect(event.timeGenerated?.toString()).toBe('2024-01-02T03:04:05Z');
    expect(atLeast(new PSVersion(2, 2, 0), PROTOCOL_2_2)).toBe(true);
    expect(atLeast(new PSVersion(2, 1), PROTOCOL_2_2)).toBe(false);
  });
});

describe('CREATE_PIPELINE', () => {
  it('refuses an empty pipeline or statement', () => {
    expect(() => createPipelineBody({ statements: [] }, context)).toThrow(UsageError);
    expect(() => createPipelineBody({ statements: [[]] }, context)).toThrow(UsageError);
  });

  it('writes switches, positional arguments, secrets and the host of the pipeline', () => {
    const xml = createPipelineBody(
      scriptPipeline('param($a) $a', {
        arguments: [{ value: 'positional' }, { name: 'Switch' }, { name: 'Secret', value: new SecureText('pw') }],
        host: hostWithUI(),
      }),
      context,
    );
    expect(xml).toContain('<Nil N="N" /><S N="V">positional</S>');
    expect(xml).toContain('<S N="N">Switch</S><Nil N="V" />');
    expect(xml).toContain(`<SS N="V">${btoa('pw')}</SS>`);
    expect(xml).toContain('<B N="_isHostUINull">false</B>');
  });

  it('writes one Cmds list shared by ExtraCmds when there are several statements', () => {
    const xml = createPipelineBody({ statements: [[{ command: 'a' }], [{ command: 'b' }]] }, context);
    expect(xml).toContain('<Ref N="Cmds" RefId=');
    expect(createPipelineBody(scriptPipeline('1'), context)).toContain('<Nil N="ExtraCmds" />');
  });
});

describe('records', () => {
  it('fall back to ToString and defaults for sparse error records', () => {
    const record = readErrorRecord(
      new PSObject({ typeNames: ['System.Management.Automation.ErrorRecord'], toStringText: 'sparse' }),
      'ERROR_RECORD',
    );
    expect(record).toMatchObject({ message: 'sparse', fullyQualifiedErrorId: '', category: { code: 0 } });
    expect(() => readErrorRecord(primitive('String', 'x'), 'ERROR_RECORD')).toThrow(MessageBodyError);
  });

  it('read a progress record from an object or a PR primitive', () => {
    const value = {
      activity: 'a',
      activityId: 1,
      statusDescription: 's',
      currentOperation: null,
      parentActivityId: -1,
      percentComplete: 10,
      secondsRemaining: -1,
      recordType: 'Completed',
    };
    expect(readProgressRecord(primitive('ProgressRecord', value), 'p')).toEqual(value);
    const object = deserializeClixml(
      '<Obj RefId="0"><MS><S N="Activity">a</S><I32 N="ActivityId">1</I32><S N="StatusDescription">s</S><Nil N="CurrentOperation" /><I32 N="ParentActivityId">-1</I32><I32 N="PercentComplete">10</I32><Obj N="Type" RefId="1"><TN RefId="0"><T>System.Management.Automation.ProgressRecordType</T></TN><ToString>Completed</ToString><I32>1</I32></Obj><I32 N="SecondsRemaining">-1</I32></MS></Obj>',
    );
    expect(readProgressRecord(object, 'p')).toEqual(value);
  });

  it('read an information record with tags, and print values as PowerShell would', () => {
    const record = readInformationRecord(
      deserializeClixml(
        '<Obj RefId="0"><MS><I32 N="MessageData">42</I32><S N="Source">Write-Host</S><Obj N="Tags" RefId="1"><LST><S>PSHOST</S></LST></Obj><U32 N="ProcessId">7</U32></MS></Obj>',
      ),
      'INFORMATION_RECORD',
    );
    expect(record).toMatchObject({ text: '42', source: 'Write-Host', tags: ['PSHOST'], processId: 7 });
    expect(textOf(null)).toBe('');
    expect(textOf(primitive('Version', new PSVersion(1, 2)))).toBe('');
  });
});

describe('Fields', () => {
  it('names the message and path in every error', () => {
    const fields = new Fields(
      deserializeClixml('<Obj RefId="0"><MS><S N="a">x</S><Obj N="b" RefId="1"><MS /></Obj></MS></Obj>'),
      'M',
    );
    expect(() => fields.integer('a')).toThrow('M.a: expected an integer, got String');
    expect(() => fields.fields('b').string('c')).toThrow('M.b: the property c is missing');
    expect(() => new Fields(null, 'M')).toThrow('M: expected an object, got Nil');
    expect(hostInfoObject(NO_HOST).property('_useRunspaceHost')).toEqual(primitive('Boolean', true));
  });
});
