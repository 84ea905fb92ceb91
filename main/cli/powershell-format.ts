import { Buffer } from 'node:buffer';
import { PSObject, type PSDateTime, type PSPrimitive, type PSTimeSpan, type PSValue } from '../../core/psrp/clixml';
import type { ErrorRecordInfo } from '../../core/psrp/session';

/**
 * Output objects as PowerShell's default formatting shows them, for the common cases and without the
 * server's format data: scalars one per line; collections enumerated; runs of objects of one type with at
 * most four properties as a table, other objects as `Name : Value` lists; dictionaries as Name/Value tables.
 */

/** PowerShell switches from a table to a list above this many properties. */
const TABLE_MAX_COLUMNS = 4;
/** Rows buffered to size a table's columns before it is written. */
const TABLE_MAX_ROWS = 500;
/** Nesting shown inside a property value before `…`. */
const MAX_NESTING = 2;

type Row = readonly (readonly [name: string, value: PSValue])[];

interface Group {
  readonly key: string;
  readonly names: readonly string[];
  readonly rows: Row[];
}

export class PowerShellFormatter {
  readonly #write: (text: string) => void;
  #group: Group | undefined;
  #started = false;

  constructor(write: (text: string) => void) {
    this.#write = write;
  }

  /** One output object of the pipeline. */
  push(value: PSValue): void {
    const items = enumerated(value);
    if (items !== undefined) {
      for (const item of items) this.push(item);
      return;
    }
    if (value instanceof PSObject) {
      const dictionary = dictionaryRows(value);
      if (dictionary !== undefined) {
        this.flush();
        this.#table(['Name', 'Value'], dictionary, false);
        return;
      }
      const row = propertiesOf(value);
      if (row.length > 0 && scalarBase(value) === undefined) {
        this.#structured(value, row);
        return;
      }
    }
    if (value === null) return; // $null writes nothing
    this.flush();
    this.#write(`${scalarText(value)}\n`);
  }

  /** Writes what is buffered (a table waiting for more rows). Call at the end of the output. */
  flush(): void {
    const group = this.#group;
    this.#group = undefined;
    if (group === undefined) return;
    if (group.names.length <= TABLE_MAX_COLUMNS) {
      this.#table(
        group.names,
        group.rows.map((row) => row.map(([, value]) => value)),
        true,
      );
    } else {
      for (const row of group.rows) this.#list(row);
    }
  }

  #structured(value: PSObject, row: Row): void {
    const names = row.map(([name]) => name);
    const key = `${value.typeNames[0] ?? ''}\u0000${names.join('\u0000')}`;
    if (this.#group?.key !== key || this.#group.rows.length >= TABLE_MAX_ROWS) this.flush();
    this.#group ??= { key, names, rows: [] };
    this.#group.rows.push(row);
  }

  /** `alignNumbers`: numeric columns right-aligned, as PowerShell does for typed properties (not for a dictionary's Value). */
  #table(names: readonly string[], rows: readonly (readonly PSValue[])[], alignNumbers: boolean): void {
    const cells = rows.map((row) => row.map((value) => oneLine(valueText(value, 0))));
    const rightAligned = names.map(
      (_, column) => alignNumbers && rows.length > 0 && rows.every((row) => isNumber(row[column])),
    );
    const widths = names.map((name, column) =>
      Math.max(name.length, ...cells.map((row) => (row[column] ?? '').length)),
    );
    const line = (texts: readonly string[]) =>
      texts
        .map((text, column) => {
          const width = widths[column] ?? 0;
          if (rightAligned[column]) return text.padStart(width);
          return column === texts.length - 1 ? text : text.padEnd(width);
        })
        .join(' ')
        .trimEnd();
    const out = [line(names), line(names.map((name) => '-'.repeat(name.length))), ...cells.map(line)];
    this.#write(`${this.#separator()}${out.join('\n')}\n\n`);
  }

  #list(row: Row): void {
    const width = Math.max(...row.map(([name]) => name.length));
    const lines = row.map(([name, value]) => {
      const [first = '', ...rest] = valueText(value, 0).split(/\r?\n/);
      return [`${name.padEnd(width)} : ${first}`, ...rest.map((text) => `${' '.repeat(width + 3)}${text}`)].join('\n');
    });
    this.#write(`${this.#separator()}${lines.join('\n')}\n\n`);
  }

  /** PowerShell starts the first table or list of an output with a blank line. */
  #separator(): string {
    const first = !this.#started;
    this.#started = true;
    return first ? '\n' : '';
  }
}

/** The items of a collection PowerShell enumerates in output; undefined for anything else. */
function enumerated(value: PSValue): readonly PSValue[] | undefined {
  if (!(value instanceof PSObject) || value.value === undefined || !('kind' in value.value)) return undefined;
  const base = value.value;
  if (base.kind === 'List' || base.kind === 'Enumerable' || base.kind === 'Stack' || base.kind === 'Queue') {
    return base.items;
  }
  return undefined;
}

function dictionaryRows(value: PSObject): PSValue[][] | undefined {
  const base = value.value;
  if (base === undefined || base.kind !== 'Dictionary') return undefined;
  return base.entries.map((entry) => [entry.key, entry.value]);
}

/** Properties in PowerShell's order: instance (note) members, then the type's adapted ones. */
function propertiesOf(value: PSObject): Row {
  const seen = new Set<string>();
  const row: [string, PSValue][] = [];
  for (const [name, property] of [...value.extendedProperties, ...value.adaptedProperties]) {
    if (seen.has(name)) continue;
    seen.add(name);
    row.push([name, property]);
  }
  return row;
}

/** An object that stands for a scalar (an enum, a DateTime with a DisplayHint note, a wrapped string). */
function scalarBase(value: PSObject): PSPrimitive | undefined {
  const base = value.value;
  return base !== undefined && !('items' in base) && base.kind !== 'Dictionary' && base.kind !== 'BaseObject'
    ? base
    : undefined;
}

function isNumber(value: PSValue | undefined): boolean {
  const primitive = value instanceof PSObject ? scalarBase(value) : value;
  return (
    primitive !== undefined &&
    primitive !== null &&
    ['Byte', 'SByte', 'Int16', 'UInt16', 'Int32', 'UInt32', 'Int64', 'UInt64', 'Single', 'Double', 'Decimal'].includes(
      primitive.kind,
    )
  );
}

/** The text of a property value: scalars as themselves, collections as `{a, b}`, objects as their ToString. */
function valueText(value: PSValue, depth: number): string {
  if (value === null) return '';
  if (!(value instanceof PSObject)) return primitiveText(value);
  const items = enumerated(value);
  if (items !== undefined) {
    if (depth >= MAX_NESTING) return '{…}';
    return `{${items.map((item) => valueText(item, depth + 1)).join(', ')}}`;
  }
  return scalarText(value);
}

/** The text a scalar output line shows. */
function scalarText(value: PSPrimitive | PSObject): string {
  if (!(value instanceof PSObject)) return primitiveText(value);
  const base = scalarBase(value);
  // Enums and other objects carry the text .NET's ToString gave; a DateTime's own formatting reads better.
  if (base !== undefined && (base.kind === 'DateTime' || value.toStringText === undefined)) return primitiveText(base);
  if (value.toStringText !== undefined) return value.toStringText;
  if (value.value?.kind === 'BaseObject') return scalarText(value.value.object);
  return value.typeNames[0] ?? '';
}

function primitiveText(value: PSPrimitive): string {
  switch (value.kind) {
    case 'String':
    case 'Decimal':
    case 'Guid':
    case 'Uri':
    case 'XmlDocument':
    case 'ScriptBlock':
      return value.value;
    case 'Char':
      return String.fromCharCode(value.value);
    case 'Boolean':
      return value.value ? 'True' : 'False';
    case 'DateTime':
      return dateTimeText(value.value);
    case 'TimeSpan':
      return timeSpanText(value.value);
    case 'Version':
      return value.value.toString();
    case 'ByteArray':
      return Array.from(value.value).join('\n');
    case 'SecureString':
      return 'System.Security.SecureString';
    case 'ProgressRecord':
      return `${value.value.activity} ${value.value.statusDescription}`;
    case 'Single':
    case 'Double':
      return doubleText(value.value);
    default:
      return String(value.value);
  }
}

function doubleText(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '-∞';
  return String(value);
}

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/** .NET's en-US long date and long time (`Thursday, November 26, 2026 11:40:39 AM`), in the value's own zone. */
function dateTimeText(value: PSDateTime): string {
  const weekday = new Date(Date.UTC(value.year, value.month - 1, value.day)).getUTCDay();
  const hour12 = value.hour % 12 === 0 ? 12 : value.hour % 12;
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${DAYS[weekday]}, ${MONTHS[value.month - 1]} ${value.day}, ${value.year} ` +
    `${hour12}:${pad(value.minute)}:${pad(value.second)} ${value.hour < 12 ? 'AM' : 'PM'}`
  );
}

/** .NET's constant format: `[-][d.]hh:mm:ss[.fffffff]`. */
function timeSpanText(value: PSTimeSpan): string {
  const negative = value.ticks < 0n;
  let rest = negative ? -value.ticks : value.ticks;
  const fraction = rest % 10_000_000n;
  rest /= 10_000_000n;
  const seconds = rest % 60n;
  rest /= 60n;
  const minutes = rest % 60n;
  rest /= 60n;
  const hours = rest % 24n;
  const days = rest / 24n;
  const pad = (n: bigint, width = 2) => n.toString().padStart(width, '0');
  return (
    `${negative ? '-' : ''}${days > 0n ? `${days}.` : ''}${pad(hours)}:${pad(minutes)}:${pad(seconds)}` +
    (fraction > 0n ? `.${pad(fraction, 7)}` : '')
  );
}

function oneLine(text: string): string {
  return text.replace(/\r?\n/g, ' ');
}

/** `--json`: a value as JSON (primitives as JSON scalars, objects by property, cycles cut), one per line. */
export function jsonText(value: PSValue): string {
  return JSON.stringify(jsonValue(value, new Set()));
}

function jsonValue(value: PSValue, path: Set<PSObject>): unknown {
  if (value === null) return null;
  if (!(value instanceof PSObject)) return jsonPrimitive(value);
  if (path.has(value)) return value.toStringText ?? null;
  path.add(value);
  try {
    const items = enumerated(value);
    if (items !== undefined) return items.map((item) => jsonValue(item, path));
    const dictionary = dictionaryRows(value);
    if (dictionary !== undefined) {
      return Object.fromEntries(dictionary.map(([key, item]) => [scalarOrText(key), jsonValue(item ?? null, path)]));
    }
    const base = scalarBase(value);
    const properties = propertiesOf(value);
    if (properties.length === 0 || base !== undefined) {
      if (base !== undefined) return jsonPrimitive(base);
      if (value.value?.kind === 'BaseObject') return jsonValue(value.value.object, path);
      return value.toStringText ?? null;
    }
    return Object.fromEntries(properties.map(([name, item]) => [name, jsonValue(item, path)]));
  } finally {
    path.delete(value);
  }
}

function scalarOrText(value: PSValue | undefined): string {
  if (value === undefined || value === null) return '';
  return value instanceof PSObject ? scalarText(value) : primitiveText(value);
}

function jsonPrimitive(value: PSPrimitive): unknown {
  switch (value.kind) {
    case 'Int64':
    case 'UInt64':
      return Number.isSafeInteger(Number(value.value)) ? Number(value.value) : value.value.toString();
    case 'Single':
    case 'Double':
      return Number.isFinite(value.value) ? value.value : doubleText(value.value);
    case 'DateTime':
      return value.value.toString();
    case 'TimeSpan':
      return timeSpanText(value.value);
    case 'Version':
      return value.value.toString();
    case 'ByteArray':
      return Buffer.from(value.value).toString('base64');
    case 'Char':
      return String.fromCharCode(value.value);
    case 'ProgressRecord':
      return value.value;
    default:
      return value.value;
  }
}

/** The prefixes PowerShell shows before warning, verbose and debug messages. */
export const STREAM_PREFIXES = { warning: 'WARNING: ', verbose: 'VERBOSE: ', debug: 'DEBUG: ' } as const;

/** An error record as PowerShell 7's concise view shows it: `Command: message`. */
export function errorText(record: ErrorRecordInfo): string {
  const activity = record.category.activity;
  return activity === '' ? record.message : `${activity}: ${record.message}`;
}
