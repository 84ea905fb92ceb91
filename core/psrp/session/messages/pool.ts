import {
  isPrimitive,
  primitive,
  PSObject,
  PSVersion,
  serializeClixml,
  toPSValue,
  type PSDateTime,
  type PSValue,
  type Serializable,
} from '../../clixml';
import { ApartmentState, CommandTypes, enumObject, flagsValue, PSThreadOptions } from './enums';
import { hostInfoObject, type HostInfo } from './host-info';
import { Fields, MessageBodyError } from './read';
import { readErrorRecord, type ErrorRecordInfo } from './records';

/**
 * Bodies of the runspace-pool messages (MS-PSRP 2.2.2): builders for what the client sends, each
 * returning the CLIXML text, and readers for what the server sends.
 */

/** SESSION_CAPABILITY (both directions). */
export interface SessionCapability {
  readonly protocolVersion: PSVersion;
  readonly psVersion: PSVersion;
  readonly serializationVersion: PSVersion;
}

export const PROTOCOL_2_2 = new PSVersion(2, 2);
export const PROTOCOL_2_3 = new PSVersion(2, 3);
export const PROTOCOL_2_4 = new PSVersion(2, 4);

/** Whether `version` is `reference` or later. */
export function atLeast(version: PSVersion, reference: PSVersion): boolean {
  return version.compareTo(reference) >= 0;
}

/** What this client announces (the values pypsrp and Windows PowerShell 5.1 send). */
export const CLIENT_CAPABILITY: SessionCapability = {
  protocolVersion: PROTOCOL_2_3,
  psVersion: new PSVersion(2, 0),
  serializationVersion: new PSVersion(1, 1, 0, 1),
};

export function sessionCapabilityBody(capability: SessionCapability): string {
  return serializeClixml(
    new PSObject({
      extendedProperties: [
        ['protocolversion', primitive('Version', capability.protocolVersion)],
        ['PSVersion', primitive('Version', capability.psVersion)],
        ['SerializationVersion', primitive('Version', capability.serializationVersion)],
      ],
    }),
  );
}

export function readSessionCapability(value: PSValue): SessionCapability {
  const fields = new Fields(value, 'SESSION_CAPABILITY');
  return {
    protocolVersion: fields.version('protocolversion'),
    psVersion: fields.version('PSVersion'),
    serializationVersion: fields.version('SerializationVersion'),
  };
}

export interface RunspacePoolSettings {
  readonly minRunspaces: number;
  readonly maxRunspaces: number;
  readonly threadOptions: PSThreadOptions;
  readonly apartmentState: ApartmentState;
  readonly host: HostInfo;
  /** `$PSSenderInfo.ApplicationArguments` on the server (a PSPrimitiveDictionary); Nil when absent. */
  readonly applicationArguments: ReadonlyMap<string, Serializable> | undefined;
}

const PRIMITIVE_DICTIONARY_TYPE_NAMES = [
  'System.Management.Automation.PSPrimitiveDictionary',
  'System.Collections.Hashtable',
  'System.Object',
];

export function initRunspacePoolBody(settings: RunspacePoolSettings): string {
  const applicationArguments =
    settings.applicationArguments === undefined
      ? null
      : new PSObject({
          typeNames: PRIMITIVE_DICTIONARY_TYPE_NAMES,
          value: {
            kind: 'Dictionary',
            entries: [...settings.applicationArguments].map(([key, value]) => ({
              key: primitive('String', key),
              value: toPSValue(value),
            })),
          },
        });
  return serializeClixml(
    new PSObject({
      extendedProperties: [
        ['MinRunspaces', primitive('Int32', settings.minRunspaces)],
        ['MaxRunspaces', primitive('Int32', settings.maxRunspaces)],
        ['PSThreadOptions', enumObject(PSThreadOptions, settings.threadOptions)],
        ['ApartmentState', enumObject(ApartmentState, settings.apartmentState)],
        ['HostInfo', hostInfoObject(settings.host)],
        ['ApplicationArguments', applicationArguments],
      ],
    }),
  );
}

/**
 * CONNECT_RUNSPACEPOOL: the runspace limits to apply, or neither, which PowerShell writes as an
 * empty string (`<S />`).
 */
export function connectRunspacePoolBody(limits?: {
  readonly minRunspaces: number;
  readonly maxRunspaces: number;
}): string {
  if (limits === undefined) return serializeClixml('');
  return serializeClixml(
    new PSObject({
      extendedProperties: [
        ['MinRunspaces', primitive('Int32', limits.minRunspaces)],
        ['MaxRunspaces', primitive('Int32', limits.maxRunspaces)],
      ],
    }),
  );
}

/** SET_MIN_RUNSPACES / SET_MAX_RUNSPACES; the call id is written `CI`, as Windows expects. */
export function setRunspacesBody(property: 'MinRunspaces' | 'MaxRunspaces', count: number, callId: bigint): string {
  return serializeClixml(
    new PSObject({
      extendedProperties: [
        [property, primitive('Int32', count)],
        ['CI', primitive('Int64', callId)],
      ],
    }),
  );
}

/** GET_AVAILABLE_RUNSPACES and RESET_RUNSPACE_STATE: just the call id `ci`. */
export function callIdBody(callId: bigint): string {
  return serializeClixml(new PSObject({ extendedProperties: [['ci', primitive('Int64', callId)]] }));
}

export function publicKeyBody(blob: Uint8Array): string {
  const base64 = Buffer.from(blob.buffer, blob.byteOffset, blob.length).toString('base64');
  return serializeClixml(new PSObject({ extendedProperties: [['PublicKey', primitive('String', base64)]] }));
}

export interface CommandMetadataQuery {
  /** Command names, wildcards allowed. */
  readonly names: readonly string[];
  readonly commandTypes: readonly CommandTypes[];
  readonly namespaces?: readonly string[];
  readonly argumentList?: readonly Serializable[];
}

export function getCommandMetadataBody(query: CommandMetadataQuery): string {
  const strings = (values: readonly string[]): PSObject =>
    new PSObject({
      typeNames: ['System.String[]', 'System.Array', 'System.Object'],
      value: { kind: 'List', items: values.map((value) => primitive('String', value)) },
    });
  return serializeClixml(
    new PSObject({
      extendedProperties: [
        ['Name', strings(query.names)],
        ['CommandType', enumObject(CommandTypes, flagsValue(CommandTypes, query.commandTypes))],
        ['Namespace', query.namespaces === undefined ? null : strings(query.namespaces)],
        ['ArgumentList', query.argumentList === undefined ? null : toPSValue(query.argumentList)],
      ],
    }),
  );
}

/** RUNSPACEPOOL_STATE: the state number and, for Broken, the error. */
export interface RunspacePoolStateInfo {
  readonly state: number;
  readonly error: ErrorRecordInfo | undefined;
}

export function readRunspacePoolState(value: PSValue): RunspacePoolStateInfo {
  const fields = new Fields(value, 'RUNSPACEPOOL_STATE');
  return {
    state: fields.integer('RunspaceState'),
    error: fields.has('ExceptionAsErrorRecord')
      ? readErrorRecord(fields.value('ExceptionAsErrorRecord'), 'RUNSPACEPOOL_STATE.ExceptionAsErrorRecord')
      : undefined,
  };
}

/** APPLICATION_PRIVATE_DATA: the server's PSPrimitiveDictionary (PSVersionTable and more). */
export function readApplicationPrivateData(value: PSValue): PSValue {
  return new Fields(value, 'APPLICATION_PRIVATE_DATA').value('ApplicationPrivateData');
}

export function readRunspacePoolInitData(value: PSValue): { minRunspaces: number; maxRunspaces: number } {
  const fields = new Fields(value, 'RUNSPACEPOOL_INIT_DATA');
  return { minRunspaces: fields.integer('MinRunspaces'), maxRunspaces: fields.integer('MaxRunspaces') };
}

/**
 * RUNSPACE_AVAILABILITY: the answer to the call `callId`. Windows answers SET_MIN/MAX_RUNSPACES and
 * RESET_RUNSPACE_STATE with a Boolean and GET_AVAILABLE_RUNSPACES with a number (I32 or I64).
 */
export function readRunspaceAvailability(value: PSValue): { callId: bigint; response: boolean | bigint } {
  const fields = new Fields(value, 'RUNSPACE_AVAILABILITY');
  const response = fields.value('SetMinMaxRunspacesResponse');
  return {
    callId: fields.bigInteger('ci'),
    response:
      isPrimitive(response) && response.kind === 'Boolean'
        ? response.value
        : fields.bigInteger('SetMinMaxRunspacesResponse'),
  };
}

export function readEncryptedSessionKey(value: PSValue): Uint8Array {
  const text = new Fields(value, 'ENCRYPTED_SESSION_KEY').string('EncryptedSessionKey');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) throw new MessageBodyError('ENCRYPTED_SESSION_KEY is not base64');
  return new Uint8Array(Buffer.from(text, 'base64'));
}

/** USER_EVENT (MS-PSRP 2.2.2.12): a PowerShell event forwarded from the server. */
export interface UserEventInfo {
  readonly eventIdentifier: number;
  readonly sourceIdentifier: string;
  readonly timeGenerated: PSDateTime | undefined;
  readonly sender: PSValue;
  readonly sourceArgs: PSValue;
  readonly messageData: PSValue;
  readonly computerName: string | null | undefined;
  readonly runspaceId: string | undefined;
  readonly raw: PSObject;
}

export function readUserEvent(value: PSValue): UserEventInfo {
  const fields = new Fields(value, 'USER_EVENT');
  const optional = (name: string): PSValue => fields.object.property(`PSEventArgs.${name}`) ?? null;
  const time = optional('TimeGenerated');
  const runspaceId = optional('RunspaceId');
  return {
    eventIdentifier: fields.integer('PSEventArgs.EventIdentifier'),
    sourceIdentifier: fields.string('PSEventArgs.SourceIdentifier'),
    timeGenerated: isPrimitive(time) && time.kind === 'DateTime' ? time.value : undefined,
    sender: optional('Sender'),
    sourceArgs: optional('SourceArgs'),
    messageData: optional('MessageData'),
    computerName: fields.optionalString('PSEventArgs.ComputerName'),
    runspaceId: isPrimitive(runspaceId) && runspaceId.kind === 'Guid' ? runspaceId.value : undefined,
    raw: fields.object,
  };
}
