import { UsageError } from '../../errors';
import {
  isPrimitive,
  primitive,
  PSObject,
  psEnum,
  serializeClixml,
  type ProgressRecordValue,
  type PSValue,
  type PSVersion,
} from '../clixml';
import { ConsoleColor } from './messages/enums';
import { coordinatesObject, sizeObject, type Coordinates, type Size } from './messages/host-info';
import { Fields, MessageBodyError, integerOf, itemsOf, stringOf } from './messages/read';
import { errorRecordObject, readProgressRecord } from './messages/records';
import {
  credentialObject,
  holdsSecret,
  outgoingValue,
  type Credential,
  type EncryptSecret,
  type OutgoingValue,
  type SecureText,
} from './messages/values';

/**
 * Host calls (MS-PSRP 2.2.2.27/2.2.3.17, PROTOCOL.md §2.7): the server asks the client's PSHost
 * to do something (print a line, read a line, prompt for a credential…). Each call is decoded into
 * a typed HostCall; the application answers non-void calls through the runspace pool, which
 * writes RUNSPACEPOOL_HOST_RESPONSE or PIPELINE_HOST_RESPONSE. Structures travel as PowerShell's
 * RemoteHostEncoder writes them: note properties named after the .NET fields (`x`, `width`,
 * `label`…), enums as Int32.
 */

/** Call id of calls that expect no answer (pwsh `ServerDispatchTable.VoidCallId`). */
export const VOID_CALL_ID = -100n;

export interface FieldDescription {
  readonly name: string;
  readonly label: string;
  readonly parameterTypeName: string;
  /** e.g. `System.String`, `System.Security.SecureString`, `System.Management.Automation.PSCredential`. */
  readonly parameterTypeFullName: string;
  readonly parameterAssemblyFullName: string;
  readonly helpMessage: string;
  readonly isMandatory: boolean;
}

export interface ChoiceDescription {
  /** May contain `&` before the hot key letter, e.g. `&Yes`. */
  readonly label: string;
  readonly helpMessage: string;
}

export interface Rectangle {
  readonly left: number;
  readonly top: number;
  readonly right: number;
  readonly bottom: number;
}

export interface BufferCell {
  readonly character: string;
  readonly foregroundColor: ConsoleColor;
  readonly backgroundColor: ConsoleColor;
  /** BufferCellType: 0 Complete, 1 Leading, 2 Trailing. */
  readonly bufferCellType: number;
}

export interface KeyInfo {
  readonly virtualKeyCode: number;
  readonly character: string;
  /** ControlKeyStates flags (1 RightAlt … 16 Shift … 256 EnhancedKey). */
  readonly controlKeyState: number;
  readonly keyDown: boolean;
}

type NoParameters = Readonly<Record<string, never>>;
type Colors = { readonly foregroundColor: ConsoleColor; readonly backgroundColor: ConsoleColor };

/** Parameters and answer type of every host method, by name. Void methods answer `undefined`. */
export interface HostMethods {
  GetName: { parameters: NoParameters; result: string };
  GetVersion: { parameters: NoParameters; result: PSVersion };
  /** A GUID string. */
  GetInstanceId: { parameters: NoParameters; result: string };
  /** A CultureInfo as the server expects it. */
  GetCurrentCulture: { parameters: NoParameters; result: OutgoingValue };
  GetCurrentUICulture: { parameters: NoParameters; result: OutgoingValue };
  SetShouldExit: { parameters: { readonly exitCode: number }; result: undefined };
  EnterNestedPrompt: { parameters: NoParameters; result: undefined };
  ExitNestedPrompt: { parameters: NoParameters; result: undefined };
  NotifyBeginApplication: { parameters: NoParameters; result: undefined };
  NotifyEndApplication: { parameters: NoParameters; result: undefined };
  ReadLine: { parameters: NoParameters; result: string };
  ReadLineAsSecureString: { parameters: NoParameters; result: SecureText };
  Write1: { parameters: { readonly value: string }; result: undefined };
  Write2: { parameters: Colors & { readonly value: string }; result: undefined };
  WriteLine1: { parameters: NoParameters; result: undefined };
  WriteLine2: { parameters: { readonly value: string }; result: undefined };
  WriteLine3: { parameters: Colors & { readonly value: string }; result: undefined };
  WriteErrorLine: { parameters: { readonly message: string }; result: undefined };
  WriteDebugLine: { parameters: { readonly message: string }; result: undefined };
  WriteProgress: { parameters: { readonly sourceId: bigint; readonly record: ProgressRecordValue }; result: undefined };
  WriteVerboseLine: { parameters: { readonly message: string }; result: undefined };
  WriteWarningLine: { parameters: { readonly message: string }; result: undefined };
  /**
   * One answer per field name: a SecureText for `System.Security.SecureString` fields, a
   * Credential for `System.Management.Automation.PSCredential` fields, else the value.
   */
  Prompt: {
    parameters: {
      readonly caption: string;
      readonly message: string;
      readonly descriptions: readonly FieldDescription[];
    };
    result: ReadonlyMap<string, OutgoingValue>;
  };
  PromptForCredential1: {
    parameters: {
      readonly caption: string;
      readonly message: string;
      readonly userName: string;
      readonly targetName: string;
    };
    result: Credential;
  };
  PromptForCredential2: {
    parameters: {
      readonly caption: string;
      readonly message: string;
      readonly userName: string;
      readonly targetName: string;
      /** PSCredentialTypes: 1 Generic, 2 Domain. */
      readonly allowedCredentialTypes: number;
      /** PSCredentialUIOptions: 1 ValidateUserNameSyntax, 2 AlwaysPrompt, 4 ReadOnlyUserName. */
      readonly options: number;
    };
    result: Credential;
  };
  /** The index of the chosen choice. */
  PromptForChoice: {
    parameters: {
      readonly caption: string;
      readonly message: string;
      readonly choices: readonly ChoiceDescription[];
      /** -1 for none. */
      readonly defaultChoice: number;
    };
    result: number;
  };
  GetForegroundColor: { parameters: NoParameters; result: ConsoleColor };
  SetForegroundColor: { parameters: { readonly color: ConsoleColor }; result: undefined };
  GetBackgroundColor: { parameters: NoParameters; result: ConsoleColor };
  SetBackgroundColor: { parameters: { readonly color: ConsoleColor }; result: undefined };
  GetCursorPosition: { parameters: NoParameters; result: Coordinates };
  SetCursorPosition: { parameters: { readonly position: Coordinates }; result: undefined };
  GetWindowPosition: { parameters: NoParameters; result: Coordinates };
  SetWindowPosition: { parameters: { readonly position: Coordinates }; result: undefined };
  GetCursorSize: { parameters: NoParameters; result: number };
  SetCursorSize: { parameters: { readonly size: number }; result: undefined };
  GetBufferSize: { parameters: NoParameters; result: Size };
  SetBufferSize: { parameters: { readonly size: Size }; result: undefined };
  GetWindowSize: { parameters: NoParameters; result: Size };
  SetWindowSize: { parameters: { readonly size: Size }; result: undefined };
  GetWindowTitle: { parameters: NoParameters; result: string };
  SetWindowTitle: { parameters: { readonly title: string }; result: undefined };
  GetMaxWindowSize: { parameters: NoParameters; result: Size };
  GetMaxPhysicalWindowSize: { parameters: NoParameters; result: Size };
  GetKeyAvailable: { parameters: NoParameters; result: boolean };
  /** ReadKeyOptions flags: 1 AllowCtrlC, 2 NoEcho, 4 IncludeKeyDown, 8 IncludeKeyUp. */
  ReadKey: { parameters: { readonly options: number }; result: KeyInfo };
  FlushInputBuffer: { parameters: NoParameters; result: undefined };
  SetBufferContents1: { parameters: { readonly rectangle: Rectangle; readonly fill: BufferCell }; result: undefined };
  /** `contents` is the BufferCell[,] by rows. */
  SetBufferContents2: {
    parameters: { readonly origin: Coordinates; readonly contents: readonly (readonly BufferCell[])[] };
    result: undefined;
  };
  /** The cells of the rectangle, by rows. */
  GetBufferContents: { parameters: { readonly rectangle: Rectangle }; result: readonly (readonly BufferCell[])[] };
  ScrollBufferContents: {
    parameters: {
      readonly source: Rectangle;
      readonly destination: Coordinates;
      readonly clip: Rectangle;
      readonly fill: BufferCell;
    };
    result: undefined;
  };
  PushRunspace: { parameters: { readonly runspace: PSValue }; result: undefined };
  PopRunspace: { parameters: NoParameters; result: undefined };
  GetIsRunspacePushed: { parameters: NoParameters; result: boolean };
  GetRunspace: { parameters: NoParameters; result: OutgoingValue };
  /** The indexes of the chosen choices. */
  PromptForChoiceMultipleSelection: {
    parameters: {
      readonly caption: string;
      readonly message: string;
      readonly choices: readonly ChoiceDescription[];
      readonly defaultChoices: readonly number[];
    };
    result: readonly number[];
  };
}

export type HostMethodName = keyof HostMethods;

/** One call of method M. */
export interface HostCallOf<M extends HostMethodName> {
  readonly method: M;
  /** RemoteHostMethodId (1–56). */
  readonly methodId: number;
  /** The call id `ci`; VOID_CALL_ID for calls that expect no answer. */
  readonly callId: bigint;
  /** The pipeline that made the call; undefined for a runspace-pool host call. */
  readonly pipelineId: string | undefined;
  /** False for void calls, which must not be answered. */
  readonly expectsAnswer: boolean;
  readonly parameters: HostMethods[M]['parameters'];
  /** The parameters as sent (`mp`), for anything the typed view leaves out. */
  readonly rawParameters: readonly PSValue[];
}

export type HostCall = { [M in HostMethodName]: HostCallOf<M> }[HostMethodName];

/** The application's answer: the method's result, or an error the remote command sees as an exception. */
export type HostAnswer<M extends HostMethodName> =
  { readonly result: HostMethods[M]['result'] } | { readonly error: string; readonly fullyQualifiedErrorId?: string };

/** Positional access to the `mp` parameters with typed reads. */
class Parameters {
  constructor(
    readonly values: readonly PSValue[],
    readonly where: string,
  ) {}

  value(index: number): PSValue {
    if (index >= this.values.length) throw new MessageBodyError(`${this.where}: parameter ${index} is missing`);
    return this.values[index] ?? null;
  }

  #path(index: number): string {
    return `${this.where}[${index}]`;
  }

  /** A String; `Nil` reads as the empty string (PowerShell passes null captions that way). */
  text(index: number): string {
    const value = this.value(index);
    return value === null ? '' : stringOf(value, this.#path(index));
  }

  integer(index: number): number {
    return integerOf(this.value(index), this.#path(index));
  }

  color(index: number): ConsoleColor {
    return colorOf(this.value(index), this.#path(index));
  }

  fields(index: number): Fields {
    return new Fields(this.value(index), this.#path(index));
  }

  items(index: number): PSValue[] {
    return itemsOf(this.value(index), this.#path(index));
  }
}

const COLOR_NAMES = new Map(Object.entries(ConsoleColor.values).map(([name, value]) => [value, name as ConsoleColor]));

function colorOf(value: PSValue, where: string): ConsoleColor {
  const number = integerOf(value, where);
  const name = COLOR_NAMES.get(number);
  if (name === undefined) throw new MessageBodyError(`${where}: ${number} is not a ConsoleColor`);
  return name;
}

function charOf(fields: Fields, name: string): string {
  const value = fields.value(name);
  if (isPrimitive(value) && value.kind === 'Char') return String.fromCharCode(value.value);
  return fields.string(name);
}

const coordinates = (fields: Fields): Coordinates => ({ x: fields.integer('x'), y: fields.integer('y') });
const size = (fields: Fields): Size => ({ width: fields.integer('width'), height: fields.integer('height') });
const rectangle = (fields: Fields): Rectangle => ({
  left: fields.integer('left'),
  top: fields.integer('top'),
  right: fields.integer('right'),
  bottom: fields.integer('bottom'),
});
const bufferCell = (fields: Fields): BufferCell => ({
  character: charOf(fields, 'character'),
  foregroundColor: colorOf(fields.value('foregroundColor'), `${fields.where}.foregroundColor`),
  backgroundColor: colorOf(fields.value('backgroundColor'), `${fields.where}.backgroundColor`),
  bufferCellType: fields.integer('bufferCellType'),
});

/**
 * A BufferCell[,]: RemoteHostEncoder writes a multi-dimensional array as `mae` (the elements,
 * row-major) and `mal` (the length of each dimension).
 */
function bufferCellRows(fields: Fields): BufferCell[][] {
  const lengths = fields.items('mal').map((length, i) => integerOf(length, `${fields.where}.mal[${i}]`));
  const cells = fields.items('mae').map((cell, i) => bufferCell(new Fields(cell, `${fields.where}.mae[${i}]`)));
  const [rows = 0, columns = 0] = lengths;
  if (lengths.length !== 2 || rows * columns !== cells.length) {
    throw new MessageBodyError(`${fields.where}: ${cells.length} cells do not fill a ${lengths.join('×')} array`);
  }
  return Array.from({ length: rows }, (_, row) => cells.slice(row * columns, (row + 1) * columns));
}

function bufferCellObject(cell: BufferCell): PSObject {
  return new PSObject({
    extendedProperties: [
      ['character', primitive('Char', cell.character.charCodeAt(0))],
      ['foregroundColor', primitive('Int32', ConsoleColor.values[cell.foregroundColor])],
      ['backgroundColor', primitive('Int32', ConsoleColor.values[cell.backgroundColor])],
      ['bufferCellType', primitive('Int32', cell.bufferCellType)],
    ],
  });
}

function bufferCellArrayObject(rows: readonly (readonly BufferCell[])[]): PSObject {
  const columns = rows[0]?.length ?? 0;
  if (rows.some((row) => row.length !== columns))
    throw new UsageError('every row of a BufferCell array has the same length');
  const list = (items: PSValue[], typeNames: string[]): PSObject =>
    new PSObject({ typeNames, value: { kind: 'List', items } });
  return new PSObject({
    extendedProperties: [
      ['mae', list(rows.flat().map(bufferCellObject), ['System.Collections.ArrayList', 'System.Object'])],
      [
        'mal',
        list(
          [primitive('Int32', rows.length), primitive('Int32', columns)],
          ['System.Int32[]', 'System.Array', 'System.Object'],
        ),
      ],
    ],
  });
}

function fieldDescriptions(parameters: Parameters, index: number): FieldDescription[] {
  return parameters.items(index).map((item, position) => {
    const fields = new Fields(item, `${parameters.where}[${index}][${position}]`);
    const text = (name: string): string => fields.optionalString(name) ?? '';
    return {
      name: fields.string('name'),
      label: text('label'),
      parameterTypeName: text('parameterTypeName'),
      parameterTypeFullName: text('parameterTypeFullName'),
      parameterAssemblyFullName: text('parameterAssemblyFullName'),
      helpMessage: text('helpMessage'),
      isMandatory: fields.has('isMandatory') ? fields.boolean('isMandatory') : false,
    };
  });
}

function choiceDescriptions(parameters: Parameters, index: number): ChoiceDescription[] {
  return parameters.items(index).map((item, position) => {
    const fields = new Fields(item, `${parameters.where}[${index}][${position}]`);
    return { label: fields.optionalString('label') ?? '', helpMessage: fields.optionalString('helpMessage') ?? '' };
  });
}

interface MethodDefinition<M extends HostMethodName> {
  readonly id: number;
  readonly decode: (parameters: Parameters) => HostMethods[M]['parameters'];
  /** The `mr` of an answer; absent for void methods. */
  readonly encode?: (result: HostMethods[M]['result'], encrypt: EncryptSecret) => PSValue;
}

const noParameters = (): NoParameters => ({});
const encodeString = (value: string): PSValue => primitive('String', value);
const encodeColor = (value: ConsoleColor): PSValue => primitive('Int32', ConsoleColor.values[value]);
const encodeValue = (value: OutgoingValue, encrypt: EncryptSecret): PSValue => outgoingValue(value, encrypt);
const message = (parameters: Parameters): { message: string } => ({ message: parameters.text(0) });
const writeValue = (parameters: Parameters): { value: string } => ({ value: parameters.text(0) });
const colored = (parameters: Parameters): Colors & { value: string } => ({
  foregroundColor: parameters.color(0),
  backgroundColor: parameters.color(1),
  value: parameters.text(2),
});
const credentialPrompt = (parameters: Parameters) => ({
  caption: parameters.text(0),
  message: parameters.text(1),
  userName: parameters.text(2),
  targetName: parameters.text(3),
});
const encodeCredential = (value: Credential, encrypt: EncryptSecret): PSValue =>
  credentialObject(value.userName, encrypt(value.password.text));

const METHODS: { readonly [M in HostMethodName]: MethodDefinition<M> } = {
  GetName: { id: 1, decode: noParameters, encode: encodeString },
  GetVersion: { id: 2, decode: noParameters, encode: (value) => primitive('Version', value) },
  GetInstanceId: { id: 3, decode: noParameters, encode: (value) => primitive('Guid', value) },
  GetCurrentCulture: { id: 4, decode: noParameters, encode: encodeValue },
  GetCurrentUICulture: { id: 5, decode: noParameters, encode: encodeValue },
  SetShouldExit: { id: 6, decode: (p) => ({ exitCode: p.integer(0) }) },
  EnterNestedPrompt: { id: 7, decode: noParameters },
  ExitNestedPrompt: { id: 8, decode: noParameters },
  NotifyBeginApplication: { id: 9, decode: noParameters },
  NotifyEndApplication: { id: 10, decode: noParameters },
  ReadLine: { id: 11, decode: noParameters, encode: encodeString },
  ReadLineAsSecureString: {
    id: 12,
    decode: noParameters,
    encode: (value, encrypt) => primitive('SecureString', encrypt(value.text)),
  },
  Write1: { id: 13, decode: writeValue },
  Write2: { id: 14, decode: colored },
  WriteLine1: { id: 15, decode: noParameters },
  WriteLine2: { id: 16, decode: writeValue },
  WriteLine3: { id: 17, decode: colored },
  WriteErrorLine: { id: 18, decode: message },
  WriteDebugLine: { id: 19, decode: message },
  WriteProgress: {
    id: 20,
    decode: (p) => ({
      sourceId: BigInt(integerOf(p.value(0), `${p.where}[0]`)),
      record: readProgressRecord(p.value(1), `${p.where}[1]`),
    }),
  },
  WriteVerboseLine: { id: 21, decode: message },
  WriteWarningLine: { id: 22, decode: message },
  Prompt: {
    id: 23,
    decode: (p) => ({ caption: p.text(0), message: p.text(1), descriptions: fieldDescriptions(p, 2) }),
    encode: (answers, encrypt) =>
      new PSObject({
        typeNames: ['System.Collections.Hashtable', 'System.Object'],
        value: {
          kind: 'Dictionary',
          entries: [...answers].map(([name, value]) => ({
            key: primitive('String', name),
            value: outgoingValue(value, encrypt),
          })),
        },
      }),
  },
  PromptForCredential1: { id: 24, decode: credentialPrompt, encode: encodeCredential },
  PromptForCredential2: {
    id: 25,
    decode: (p) => ({ ...credentialPrompt(p), allowedCredentialTypes: p.integer(4), options: p.integer(5) }),
    encode: encodeCredential,
  },
  PromptForChoice: {
    id: 26,
    decode: (p) => ({
      caption: p.text(0),
      message: p.text(1),
      choices: choiceDescriptions(p, 2),
      defaultChoice: p.integer(3),
    }),
    encode: (index) => primitive('Int32', index),
  },
  GetForegroundColor: { id: 27, decode: noParameters, encode: encodeColor },
  SetForegroundColor: { id: 28, decode: (p) => ({ color: p.color(0) }) },
  GetBackgroundColor: { id: 29, decode: noParameters, encode: encodeColor },
  SetBackgroundColor: { id: 30, decode: (p) => ({ color: p.color(0) }) },
  GetCursorPosition: { id: 31, decode: noParameters, encode: coordinatesObject },
  SetCursorPosition: { id: 32, decode: (p) => ({ position: coordinates(p.fields(0)) }) },
  GetWindowPosition: { id: 33, decode: noParameters, encode: coordinatesObject },
  SetWindowPosition: { id: 34, decode: (p) => ({ position: coordinates(p.fields(0)) }) },
  GetCursorSize: { id: 35, decode: noParameters, encode: (value) => primitive('Int32', value) },
  SetCursorSize: { id: 36, decode: (p) => ({ size: p.integer(0) }) },
  GetBufferSize: { id: 37, decode: noParameters, encode: sizeObject },
  SetBufferSize: { id: 38, decode: (p) => ({ size: size(p.fields(0)) }) },
  GetWindowSize: { id: 39, decode: noParameters, encode: sizeObject },
  SetWindowSize: { id: 40, decode: (p) => ({ size: size(p.fields(0)) }) },
  GetWindowTitle: { id: 41, decode: noParameters, encode: encodeString },
  SetWindowTitle: { id: 42, decode: (p) => ({ title: p.text(0) }) },
  GetMaxWindowSize: { id: 43, decode: noParameters, encode: sizeObject },
  GetMaxPhysicalWindowSize: { id: 44, decode: noParameters, encode: sizeObject },
  GetKeyAvailable: { id: 45, decode: noParameters, encode: (value) => primitive('Boolean', value) },
  ReadKey: {
    id: 46,
    decode: (p) => ({ options: p.integer(0) }),
    encode: (key) =>
      new PSObject({
        extendedProperties: [
          ['virtualKeyCode', primitive('Int32', key.virtualKeyCode)],
          ['character', primitive('Char', key.character.charCodeAt(0))],
          ['controlKeyState', primitive('Int32', key.controlKeyState)],
          ['keyDown', primitive('Boolean', key.keyDown)],
        ],
      }),
  },
  FlushInputBuffer: { id: 47, decode: noParameters },
  SetBufferContents1: {
    id: 48,
    decode: (p) => ({ rectangle: rectangle(p.fields(0)), fill: bufferCell(p.fields(1)) }),
  },
  SetBufferContents2: {
    id: 49,
    decode: (p) => ({ origin: coordinates(p.fields(0)), contents: bufferCellRows(p.fields(1)) }),
  },
  GetBufferContents: {
    id: 50,
    decode: (p) => ({ rectangle: rectangle(p.fields(0)) }),
    encode: bufferCellArrayObject,
  },
  ScrollBufferContents: {
    id: 51,
    decode: (p) => ({
      source: rectangle(p.fields(0)),
      destination: coordinates(p.fields(1)),
      clip: rectangle(p.fields(2)),
      fill: bufferCell(p.fields(3)),
    }),
  },
  PushRunspace: { id: 52, decode: (p) => ({ runspace: p.value(0) }) },
  PopRunspace: { id: 53, decode: noParameters },
  GetIsRunspacePushed: { id: 54, decode: noParameters, encode: (value) => primitive('Boolean', value) },
  GetRunspace: { id: 55, decode: noParameters, encode: encodeValue },
  PromptForChoiceMultipleSelection: {
    id: 56,
    decode: (p) => ({
      caption: p.text(0),
      message: p.text(1),
      choices: choiceDescriptions(p, 2),
      defaultChoices: p.items(3).map((item, i) => integerOf(item, `${p.where}[3][${i}]`)),
    }),
    encode: (indexes) =>
      new PSObject({
        typeNames: ['System.Collections.ObjectModel.Collection`1[[System.Int32]]', 'System.Object'],
        value: { kind: 'List', items: indexes.map((index) => primitive('Int32', index)) },
      }),
  },
};

const METHOD_NAMES = new Map(
  (Object.keys(METHODS) as HostMethodName[]).map((name) => [METHODS[name].id, name] as const),
);

/** Every host method, by id (for tables, tests and UIs). */
export function hostMethodName(methodId: number): HostMethodName | undefined {
  return METHOD_NAMES.get(methodId);
}

/** Whether answering `method` sends a value (false for void methods such as Write*). */
export function hostMethodReturns(method: HostMethodName): boolean {
  return METHODS[method].encode !== undefined;
}

const METHOD_ID_TYPE = 'System.Management.Automation.Remoting.RemoteHostMethodId';

/** Decodes the body of RUNSPACEPOOL_HOST_CALL / PIPELINE_HOST_CALL. */
export function decodeHostCall(value: PSValue, pipelineId: string | undefined): HostCall {
  const where = pipelineId === undefined ? 'RUNSPACEPOOL_HOST_CALL' : 'PIPELINE_HOST_CALL';
  const fields = new Fields(value, where);
  const callId = fields.bigInteger('ci');
  const methodId = fields.integer('mi');
  const method = METHOD_NAMES.get(methodId);
  if (method === undefined) throw new MessageBodyError(`${where}: unknown host method id ${methodId}`);
  const rawParameters = fields.items('mp');
  const parameters = METHODS[method].decode(new Parameters(rawParameters, `${where} ${method}`));
  return {
    method,
    methodId,
    callId,
    pipelineId,
    expectsAnswer: callId !== VOID_CALL_ID,
    parameters,
    rawParameters,
  } as HostCall;
}

/** Whether writing the answer needs the SecureString codec. */
export function answerHoldsSecrets<M extends HostMethodName>(call: HostCallOf<M>, answer: HostAnswer<M>): boolean {
  if (!('result' in answer)) return false;
  const result: unknown = answer.result;
  if (call.method === 'ReadLineAsSecureString') return true;
  if (call.method === 'PromptForCredential1' || call.method === 'PromptForCredential2') return true;
  if (result instanceof Map) return [...(result as Map<string, OutgoingValue>).values()].some(holdsSecret);
  return holdsSecret(result as OutgoingValue);
}

/**
 * The body of the host response to `call`: `ci`, `mi`, then `mr` (the result) or `me` (an
 * ErrorRecord). Throws UsageError for a void call, which must stay unanswered.
 */
export function hostResponseBody<M extends HostMethodName>(
  call: HostCallOf<M>,
  answer: HostAnswer<M>,
  encrypt: EncryptSecret,
): string {
  if (!call.expectsAnswer) throw new UsageError(`${call.method} is a void host call and must not be answered`);
  const definition = METHODS[call.method] as MethodDefinition<M>;
  const properties: [string, PSValue][] = [
    ['ci', primitive('Int64', call.callId)],
    ['mi', psEnum(METHOD_ID_TYPE, call.method, call.methodId)],
  ];
  if ('error' in answer) {
    properties.push(['me', errorRecordObject(answer.error, answer.fullyQualifiedErrorId ?? 'HostMethodFailed')]);
  } else if (definition.encode !== undefined) {
    properties.push(['mr', definition.encode(answer.result, encrypt)]);
  }
  return serializeClixml(new PSObject({ extendedProperties: properties }));
}
