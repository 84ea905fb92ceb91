import { primitive, PSObject, type PSValue } from '../../clixml';
import { ConsoleColor } from './enums';

export interface Coordinates {
  readonly x: number;
  readonly y: number;
}

export interface Size {
  readonly width: number;
  readonly height: number;
}

/** The console state a host reports up front, so the server can answer RawUI getters itself. */
export interface HostDefaultData {
  readonly foregroundColor: ConsoleColor;
  readonly backgroundColor: ConsoleColor;
  readonly cursorPosition: Coordinates;
  readonly windowPosition: Coordinates;
  readonly cursorSize: number;
  readonly bufferSize: Size;
  readonly windowSize: Size;
  readonly maxWindowSize: Size;
  readonly maxPhysicalWindowSize: Size;
  readonly windowTitle: string;
}

/**
 * HostInfo (MS-PSRP 2.2.3.14): which parts of a PSHost the client implements. With no host the
 * server runs commands without one (Read-Host fails remotely); with a UI it sends host calls.
 */
export interface HostInfo {
  readonly hasHost: boolean;
  readonly hasUI: boolean;
  readonly hasRawUI: boolean;
  /** For a pipeline: use the runspace pool's host instead of describing one here. */
  readonly useRunspaceHost: boolean;
  readonly defaultData?: HostDefaultData;
}

/** No host at all (what pypsrp sends by default). */
export const NO_HOST: HostInfo = { hasHost: false, hasUI: false, hasRawUI: false, useRunspaceHost: true };

/** A host with a UI (ReadLine, Prompt, Write*…); RawUI too when `defaultData` is given. */
export function hostWithUI(defaultData?: HostDefaultData): HostInfo {
  return defaultData === undefined
    ? { hasHost: true, hasUI: true, hasRawUI: false, useRunspaceHost: false }
    : { hasHost: true, hasUI: true, hasRawUI: true, useRunspaceHost: false, defaultData };
}

/** The HostInfo object of INIT_RUNSPACEPOOL and CREATE_PIPELINE. */
export function hostInfoObject(info: HostInfo): PSObject {
  const properties: [string, PSValue][] = [
    ['_isHostNull', primitive('Boolean', !info.hasHost)],
    ['_isHostUINull', primitive('Boolean', !info.hasUI)],
    ['_isHostRawUINull', primitive('Boolean', !info.hasRawUI)],
    ['_useRunspaceHost', primitive('Boolean', info.useRunspaceHost)],
  ];
  if (info.defaultData !== undefined) properties.push(['_hostDefaultData', defaultDataObject(info.defaultData)]);
  return new PSObject({ extendedProperties: properties });
}

/** Coordinates as host calls and host data carry them: note properties `x`, `y`, no type names. */
export function coordinatesObject(value: Coordinates): PSObject {
  return new PSObject({
    extendedProperties: [
      ['x', primitive('Int32', value.x)],
      ['y', primitive('Int32', value.y)],
    ],
  });
}

/** Size as host calls and host data carry it: note properties `width`, `height`. */
export function sizeObject(value: Size): PSObject {
  return new PSObject({
    extendedProperties: [
      ['width', primitive('Int32', value.width)],
      ['height', primitive('Int32', value.height)],
    ],
  });
}

/**
 * `_hostDefaultData`: a `data` Hashtable keyed 0–9 in the order of MS-PSRP 2.2.3.14, each entry
 * an object with the value's .NET type name `T` and the value `V`.
 */
function defaultDataObject(data: HostDefaultData): PSObject {
  const typed = (typeName: string, value: PSValue): PSObject =>
    new PSObject({
      extendedProperties: [
        ['T', primitive('String', typeName)],
        ['V', value],
      ],
    });
  const coordinates = (value: Coordinates): PSObject =>
    typed('System.Management.Automation.Host.Coordinates', coordinatesObject(value));
  const size = (value: Size): PSObject => typed('System.Management.Automation.Host.Size', sizeObject(value));
  const values = [
    typed(ConsoleColor.typeName, primitive('Int32', ConsoleColor.values[data.foregroundColor])),
    typed(ConsoleColor.typeName, primitive('Int32', ConsoleColor.values[data.backgroundColor])),
    coordinates(data.cursorPosition),
    coordinates(data.windowPosition),
    typed('System.Int32', primitive('Int32', data.cursorSize)),
    size(data.bufferSize),
    size(data.windowSize),
    size(data.maxWindowSize),
    size(data.maxPhysicalWindowSize),
    typed('System.String', primitive('String', data.windowTitle)),
  ];
  const table = new PSObject({
    typeNames: ['System.Collections.Hashtable', 'System.Object'],
    value: { kind: 'Dictionary', entries: values.map((value, index) => ({ key: primitive('Int32', index), value })) },
  });
  return new PSObject({ extendedProperties: [['data', table]] });
}
