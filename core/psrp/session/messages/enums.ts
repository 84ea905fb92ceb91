import { UsageError } from '../../../errors';
import { psEnum, type PSObject } from '../../clixml';

/**
 * The .NET enums PSRP messages carry, with their wire type names and values. An enum travels as
 * an object with the enum's type names, its `ToString` text and its Int32 value (PROTOCOL.md §2.8);
 * receivers read the value, the text is for humans.
 */
export interface EnumType<Name extends string> {
  readonly typeName: string;
  readonly values: Readonly<Record<Name, number>>;
  /** A [Flags] enum: a value that is no single name is written as the names of its bits. */
  readonly flags: boolean;
}

function defineEnum<Name extends string>(
  typeName: string,
  values: Readonly<Record<Name, number>>,
  flags = false,
): EnumType<Name> {
  return { typeName, values, flags };
}

export const PSThreadOptions = defineEnum('System.Management.Automation.Runspaces.PSThreadOptions', {
  Default: 0,
  UseNewThread: 1,
  ReuseThread: 2,
  UseCurrentThread: 3,
});
export type PSThreadOptions = keyof typeof PSThreadOptions.values;

export const ApartmentState = defineEnum('System.Management.Automation.Runspaces.ApartmentState', {
  STA: 0,
  MTA: 1,
  Unknown: 2,
});
export type ApartmentState = keyof typeof ApartmentState.values;

export const RemoteStreamOptions = defineEnum(
  'System.Management.Automation.Runspaces.RemoteStreamOptions',
  {
    None: 0,
    AddInvocationInfoToErrorRecord: 1,
    AddInvocationInfoToWarningRecord: 2,
    AddInvocationInfoToDebugRecord: 4,
    AddInvocationInfoToVerboseRecord: 8,
    AddInvocationInfo: 15,
  },
  true,
);
export type RemoteStreamOptions = keyof typeof RemoteStreamOptions.values;

/** Where a command's stream goes (.NET marks it [Flags] although its values are not bits). */
export const PipelineResultTypes = defineEnum(
  'System.Management.Automation.Runspaces.PipelineResultTypes',
  { None: 0, Output: 1, Error: 2, Warning: 3, Verbose: 4, Debug: 5, Information: 6, All: 7, Null: 8 },
  true,
);
export type PipelineResultTypes = keyof typeof PipelineResultTypes.values;

export const CommandTypes = defineEnum(
  'System.Management.Automation.CommandTypes',
  {
    Alias: 1,
    Function: 2,
    Filter: 4,
    Cmdlet: 8,
    ExternalScript: 16,
    Application: 32,
    Script: 64,
    Workflow: 128,
    Configuration: 256,
  },
  true,
);
export type CommandTypes = keyof typeof CommandTypes.values;

export const ConsoleColor = defineEnum('System.ConsoleColor', {
  Black: 0,
  DarkBlue: 1,
  DarkGreen: 2,
  DarkCyan: 3,
  DarkRed: 4,
  DarkMagenta: 5,
  DarkYellow: 6,
  Gray: 7,
  DarkGray: 8,
  Blue: 9,
  Green: 10,
  Cyan: 11,
  Red: 12,
  Magenta: 13,
  Yellow: 14,
  White: 15,
});
export type ConsoleColor = keyof typeof ConsoleColor.values;

/** The name .NET's `Enum.ToString` gives `value`. */
export function enumText<Name extends string>(type: EnumType<Name>, value: number): string {
  const entries = Object.entries(type.values) as [Name, number][];
  const exact = entries.find(([, candidate]) => candidate === value);
  if (exact !== undefined) return exact[0];
  if (!type.flags || value <= 0) return String(value);
  // Like .NET: the largest defined values first, each taken while its bits are still unclaimed.
  const names: string[] = [];
  let rest = value;
  for (const [name, bits] of [...entries].sort((a, b) => b[1] - a[1])) {
    if (bits !== 0 && (rest & bits) === bits) {
      names.unshift(name);
      rest &= ~bits;
    }
  }
  return rest === 0 ? names.join(', ') : String(value);
}

/** The wire object of one enum value, given by name or (for flag combinations) by number. */
export function enumObject<Name extends string>(type: EnumType<Name>, value: Name | number): PSObject {
  const number = typeof value === 'number' ? value : type.values[value];
  if (!Number.isInteger(number)) throw new UsageError(`${String(value)} is not a ${type.typeName} value`);
  return psEnum(type.typeName, enumText(type, number), number);
}

/** The OR of several flag names. */
export function flagsValue<Name extends string>(type: EnumType<Name>, names: readonly Name[]): number {
  if (!type.flags) throw new UsageError(`${type.typeName} is not a flags enum`);
  return names.reduce((bits, name) => bits | type.values[name], 0);
}
