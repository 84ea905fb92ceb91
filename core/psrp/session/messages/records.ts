import {
  isPrimitive,
  primitive,
  PSObject,
  type ProgressRecordValue,
  type PSDateTime,
  type PSValue,
} from '../../clixml';
import { Fields, integerOf, itemsOf, stringOf } from './read';

/**
 * The records a pipeline streams besides output (ERROR_RECORD, DEBUG/VERBOSE/WARNING_RECORD,
 * INFORMATION_RECORD, PROGRESS_RECORD), read into plain typed values. Each keeps the object it was
 * read from (`raw`) for what the typed view leaves out.
 */

/** ErrorRecord (MS-PSRP 2.2.3.15), also carried by failed states as `ExceptionAsErrorRecord`. */
export interface ErrorRecordInfo {
  /** What PowerShell prints: ErrorDetails_Message, else the exception message, else ToString. */
  readonly message: string;
  readonly exceptionMessage: string | undefined;
  /** The exception's type names, most derived first, without the `Deserialized.` prefix. */
  readonly exceptionTypeNames: readonly string[];
  readonly fullyQualifiedErrorId: string;
  readonly category: {
    /** ErrorCategory value (0 NotSpecified … 31 NotEnabled). */
    readonly code: number;
    readonly activity: string;
    readonly reason: string;
    readonly targetName: string;
    readonly targetType: string;
    /** The category line PowerShell prints, e.g. `ObjectNotFound: (FileSystem:String) [Get-Item], …`. */
    readonly message: string;
  };
  readonly recommendedAction: string | undefined;
  readonly scriptStackTrace: string | undefined;
  /** InvocationInfo.PositionMessage ("At line:1 char:55 …"), when the server added invocation info. */
  readonly positionMessage: string | undefined;
  readonly targetObject: PSValue;
  readonly raw: PSObject;
}

/** DebugRecord, VerboseRecord, WarningRecord (an InformationalRecord). */
export interface InformationalRecordInfo {
  readonly message: string;
  readonly raw: PSObject;
}

/** InformationRecord (Write-Information, Write-Host; protocol ≥ 2.3). */
export interface InformationRecordInfo {
  readonly messageData: PSValue;
  /** The text Write-Host prints: ToString of the message data. */
  readonly text: string;
  readonly source: string | undefined;
  readonly timeGenerated: PSDateTime | undefined;
  readonly tags: readonly string[];
  readonly user: string | undefined;
  readonly computer: string | undefined;
  readonly processId: number | undefined;
  readonly raw: PSObject;
}

const DESERIALIZED = 'Deserialized.';

function optionalString(fields: Fields, name: string): string | undefined {
  const value = fields.object.property(name);
  return isPrimitive(value) && value.kind === 'String' ? value.value : undefined;
}

function stringOr(fields: Fields, name: string, fallback: string): string {
  return optionalString(fields, name) ?? fallback;
}

export function readErrorRecord(value: PSValue | undefined, where: string): ErrorRecordInfo {
  const fields = new Fields(value, where);
  const exception = fields.object.property('Exception');
  const exceptionFields = exception instanceof PSObject ? new Fields(exception, `${where}.Exception`) : undefined;
  const exceptionMessage = exceptionFields === undefined ? undefined : optionalString(exceptionFields, 'Message');
  const invocation = fields.object.property('InvocationInfo');
  const positionMessage =
    optionalString(fields, 'InvocationInfo_PositionMessage') ??
    (invocation instanceof PSObject ? optionalString(new Fields(invocation, where), 'PositionMessage') : undefined);
  const detailsMessage = optionalString(fields, 'ErrorDetails_Message');
  const categoryValue = fields.object.property('ErrorCategory_Category');
  return {
    message: detailsMessage ?? exceptionMessage ?? fields.object.toStringText ?? '',
    exceptionMessage,
    exceptionTypeNames: exception instanceof PSObject ? exception.typeNames.map(withoutDeserializedPrefix) : [],
    fullyQualifiedErrorId: stringOr(fields, 'FullyQualifiedErrorId', ''),
    category: {
      code: categoryValue === undefined ? 0 : integerOf(categoryValue, `${where}.ErrorCategory_Category`),
      activity: stringOr(fields, 'ErrorCategory_Activity', ''),
      reason: stringOr(fields, 'ErrorCategory_Reason', ''),
      targetName: stringOr(fields, 'ErrorCategory_TargetName', ''),
      targetType: stringOr(fields, 'ErrorCategory_TargetType', ''),
      message: stringOr(fields, 'ErrorCategory_Message', ''),
    },
    recommendedAction: optionalString(fields, 'ErrorDetails_RecommendedAction'),
    scriptStackTrace: optionalString(fields, 'ErrorDetails_ScriptStackTrace'),
    positionMessage: positionMessage === '' ? undefined : positionMessage,
    targetObject: fields.object.property('TargetObject') ?? null,
    raw: fields.object,
  };
}

function withoutDeserializedPrefix(typeName: string): string {
  return typeName.startsWith(DESERIALIZED) ? typeName.slice(DESERIALIZED.length) : typeName;
}

export function readInformationalRecord(value: PSValue | undefined, where: string): InformationalRecordInfo {
  const fields = new Fields(value, where);
  return {
    message: optionalString(fields, 'InformationalRecord_Message') ?? fields.object.toStringText ?? '',
    raw: fields.object,
  };
}

export function readInformationRecord(value: PSValue | undefined, where: string): InformationRecordInfo {
  const fields = new Fields(value, where);
  const messageData = fields.object.property('MessageData') ?? null;
  const time = fields.object.property('TimeGenerated');
  const processId = fields.object.property('ProcessId');
  const tags = fields.object.property('Tags');
  return {
    messageData,
    text: textOf(messageData),
    source: optionalString(fields, 'Source'),
    timeGenerated: isPrimitive(time) && time.kind === 'DateTime' ? time.value : undefined,
    tags:
      tags === undefined ? [] : itemsOf(tags, `${where}.Tags`).map((tag, i) => stringOf(tag, `${where}.Tags[${i}]`)),
    user: optionalString(fields, 'User'),
    computer: optionalString(fields, 'Computer'),
    processId: processId === undefined ? undefined : integerOf(processId, `${where}.ProcessId`),
    raw: fields.object,
  };
}

/** The text PowerShell would print for a value: a string itself, an object's ToString, a primitive's value. */
export function textOf(value: PSValue): string {
  if (value === null) return '';
  if (value instanceof PSObject) return value.toStringText ?? '';
  if (value.kind === 'String') return value.value;
  return isPrimitive(value) && typeof value.value !== 'object' ? String(value.value) : '';
}

/**
 * A ProgressRecord as PROGRESS_RECORD and the WriteProgress host call carry it: an object with
 * note properties (not the `PR` primitive of Export-Clixml).
 */
export function readProgressRecord(value: PSValue | undefined, where: string): ProgressRecordValue {
  if (isPrimitive(value) && value.kind === 'ProgressRecord') return value.value;
  const fields = new Fields(value, where);
  return {
    activity: fields.string('Activity'),
    activityId: fields.integer('ActivityId'),
    statusDescription: fields.string('StatusDescription'),
    currentOperation: fields.nullableString('CurrentOperation'),
    parentActivityId: fields.integer('ParentActivityId'),
    percentComplete: fields.integer('PercentComplete'),
    secondsRemaining: fields.integer('SecondsRemaining'),
    recordType: fields.integer('Type') === 1 ? 'Completed' : 'Processing',
  };
}

/**
 * An ErrorRecord to send to the server (the `me` of a host response), shaped like the ones
 * PowerShell serializes so its deserializer rebuilds exception, id and category.
 */
export function errorRecordObject(message: string, fullyQualifiedErrorId: string): PSObject {
  const exception = new PSObject({
    typeNames: [
      'System.Management.Automation.RuntimeException',
      'System.SystemException',
      'System.Exception',
      'System.Object',
    ],
    toStringText: `System.Management.Automation.RuntimeException: ${message}`,
    adaptedProperties: [
      ['Message', primitive('String', message)],
      ['HResult', primitive('Int32', -2146233087)],
    ],
  });
  return new PSObject({
    typeNames: ['System.Management.Automation.ErrorRecord', 'System.Object'],
    toStringText: message,
    extendedProperties: [
      ['Exception', exception],
      ['TargetObject', null],
      ['FullyQualifiedErrorId', primitive('String', fullyQualifiedErrorId)],
      ['InvocationInfo', null],
      ['ErrorCategory_Category', primitive('Int32', 0)],
      ['ErrorCategory_Activity', primitive('String', '')],
      ['ErrorCategory_Reason', primitive('String', 'RuntimeException')],
      ['ErrorCategory_TargetName', primitive('String', '')],
      ['ErrorCategory_TargetType', primitive('String', '')],
      ['ErrorCategory_Message', primitive('String', `NotSpecified: (:) [], RuntimeException`)],
      ['SerializeExtendedInfo', primitive('Boolean', false)],
    ],
  });
}
