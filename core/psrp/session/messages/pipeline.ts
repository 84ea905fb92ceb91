import { UsageError } from '../../../errors';
import { primitive, PSObject, serializeClixml, type PSValue, type PSVersion } from '../../clixml';
import { ApartmentState, enumObject, PipelineResultTypes, RemoteStreamOptions } from './enums';
import { hostInfoObject, type HostInfo } from './host-info';
import { atLeast, PROTOCOL_2_2, PROTOCOL_2_3 } from './pool';
import { Fields } from './read';
import { readErrorRecord, type ErrorRecordInfo } from './records';
import { holdsSecret, outgoingValue, type EncryptSecret, type OutgoingValue } from './values';

/** Streams a command can merge into its output (`2>&1`, `3>&1`, … in PowerShell syntax). */
export type MergeableStream = 'error' | 'warning' | 'verbose' | 'debug' | 'information';

export interface CommandArgument {
  /** Parameter name without the dash; absent for a positional argument. */
  readonly name?: string;
  /** Absent for a switch parameter given by name alone. */
  readonly value?: OutgoingValue;
}

export interface CommandSpec {
  /** A command name, or script text when `isScript`. */
  readonly command: string;
  readonly isScript?: boolean;
  /** Run the script in the current scope (dot-sourced) rather than a child scope; unset lets the server decide. */
  readonly useLocalScope?: boolean;
  readonly arguments?: readonly CommandArgument[];
  readonly mergeToOutput?: readonly MergeableStream[];
  /** Also take the error and output records earlier commands in the pipeline left unclaimed. */
  readonly mergePreviousResults?: boolean;
}

/** One PowerShell invocation: statements run in order, each a pipeline of commands. */
export interface PipelineSpec {
  readonly statements: readonly (readonly CommandSpec[])[];
  /** False when the pipeline reads PIPELINE_INPUT; default true. */
  readonly noInput?: boolean;
  readonly addToHistory?: boolean;
  readonly isNested?: boolean;
  readonly apartmentState?: ApartmentState;
  /** Default AddInvocationInfo, which makes records carry their InvocationInfo (position messages). */
  readonly remoteStreamOptions?: RemoteStreamOptions;
  /** Default: the runspace pool's host. */
  readonly host?: HostInfo;
  /** The history string to record; Nil when absent. */
  readonly history?: string;
  readonly redirectShellErrorOutputPipe?: boolean;
}

/** One statement running `script` with optional positional/named arguments. */
export function scriptPipeline(
  script: string,
  options: Omit<PipelineSpec, 'statements'> & { readonly arguments?: readonly CommandArgument[] } = {},
): PipelineSpec {
  const { arguments: args, ...rest } = options;
  return { ...rest, statements: [[{ command: script, isScript: true, arguments: args ?? [] }]] };
}

/** Whether sending the pipeline needs the SecureString codec (an argument is a secret). */
export function pipelineHoldsSecrets(spec: PipelineSpec): boolean {
  return spec.statements.some((statement) =>
    statement.some((command) => (command.arguments ?? []).some((argument) => holdsSecret(argument.value))),
  );
}

const LIST_TYPE_NAMES = [
  'System.Collections.Generic.List`1[[System.Management.Automation.PSObject, System.Management.Automation, Version=1.0.0.0, Culture=neutral, PublicKeyToken=31bf3856ad364e35]]',
  'System.Object',
];

function list(items: PSValue[]): PSObject {
  return new PSObject({ typeNames: LIST_TYPE_NAMES, value: { kind: 'List', items } });
}

/**
 * CREATE_PIPELINE (MS-PSRP 2.2.2.10). Merge fields follow the server's protocol: MergeError…
 * MergeDebug from 2.2, MergeInformation from 2.3. With several statements, ExtraCmds (2.2+) holds
 * all of them and Cmds the first, as pypsrp sends to Windows.
 */
export function createPipelineBody(
  spec: PipelineSpec,
  context: { readonly serverProtocol: PSVersion; readonly poolHost: HostInfo; readonly encrypt: EncryptSecret },
): string {
  const [first, ...others] = spec.statements;
  if (first === undefined || spec.statements.some((statement) => statement.length === 0)) {
    throw new UsageError('a pipeline needs at least one statement, each with at least one command');
  }
  const v22 = atLeast(context.serverProtocol, PROTOCOL_2_2);
  if (others.length > 0 && !v22)
    throw new UsageError('several statements need protocol 2.2 (Windows 8 / PowerShell 3)');
  const statements = spec.statements.map((commands) =>
    list(commands.map((command) => commandObject(command, context.serverProtocol, context.encrypt))),
  );
  const firstStatement = statements[0] ?? list([]);
  // One object for the first statement in both places, so it is written once and then as a Ref.
  const extraCommands =
    others.length === 0 ? null : list(statements.map((cmds) => new PSObject({ extendedProperties: [['Cmds', cmds]] })));
  const powerShell = new PSObject({
    extendedProperties: [
      ['IsNested', primitive('Boolean', spec.isNested ?? false)],
      ['ExtraCmds', extraCommands],
      ['Cmds', firstStatement],
      ['History', spec.history === undefined ? null : primitive('String', spec.history)],
      ['RedirectShellErrorOutputPipe', primitive('Boolean', spec.redirectShellErrorOutputPipe ?? false)],
    ],
  });
  return serializeClixml(
    new PSObject({
      extendedProperties: [
        ['NoInput', primitive('Boolean', spec.noInput ?? true)],
        ['ApartmentState', enumObject(ApartmentState, spec.apartmentState ?? 'Unknown')],
        ['RemoteStreamOptions', enumObject(RemoteStreamOptions, spec.remoteStreamOptions ?? 'AddInvocationInfo')],
        ['AddToHistory', primitive('Boolean', spec.addToHistory ?? false)],
        ['HostInfo', hostInfoObject(spec.host ?? context.poolHost)],
        ['PowerShell', powerShell],
        ['IsNested', primitive('Boolean', spec.isNested ?? false)],
      ],
    }),
  );
}

function commandObject(command: CommandSpec, serverProtocol: PSVersion, encrypt: EncryptSecret): PSObject {
  const merged = new Set(command.mergeToOutput ?? []);
  const target = (stream: MergeableStream): PSObject =>
    enumObject(PipelineResultTypes, merged.has(stream) ? 'Output' : 'None');
  const args = (command.arguments ?? []).map(
    (argument) =>
      new PSObject({
        extendedProperties: [
          ['N', argument.name === undefined ? null : primitive('String', argument.name)],
          ['V', argument.value === undefined ? null : outgoingValue(argument.value, encrypt)],
        ],
      }),
  );
  const properties: [string, PSValue][] = [
    ['Cmd', primitive('String', command.command)],
    ['IsScript', primitive('Boolean', command.isScript ?? false)],
    ['UseLocalScope', command.useLocalScope === undefined ? null : primitive('Boolean', command.useLocalScope)],
    // The protocol 2.1 form of "merge errors into output", kept for old servers.
    ['MergeMyResult', enumObject(PipelineResultTypes, merged.has('error') ? 'Error' : 'None')],
    ['MergeToResult', enumObject(PipelineResultTypes, merged.has('error') ? 'Output' : 'None')],
    [
      'MergePreviousResults',
      enumObject(
        PipelineResultTypes,
        command.mergePreviousResults === true
          ? PipelineResultTypes.values.Output | PipelineResultTypes.values.Error
          : 0,
      ),
    ],
    ['Args', list(args)],
  ];
  if (atLeast(serverProtocol, PROTOCOL_2_2)) {
    properties.push(
      ['MergeError', target('error')],
      ['MergeWarning', target('warning')],
      ['MergeVerbose', target('verbose')],
      ['MergeDebug', target('debug')],
    );
  }
  if (atLeast(serverProtocol, PROTOCOL_2_3)) properties.push(['MergeInformation', target('information')]);
  return new PSObject({ extendedProperties: properties });
}

/** PIPELINE_STATE: the PSInvocationState number and, for Failed, the error. */
export function readPipelineState(value: PSValue): { state: number; error: ErrorRecordInfo | undefined } {
  const fields = new Fields(value, 'PIPELINE_STATE');
  return {
    state: fields.integer('PipelineState'),
    error: fields.has('ExceptionAsErrorRecord')
      ? readErrorRecord(fields.value('ExceptionAsErrorRecord'), 'PIPELINE_STATE.ExceptionAsErrorRecord')
      : undefined,
  };
}
