import { UsageError } from '../../errors';

/**
 * A .NET DateTime as CLIXML carries it (`DT`): wall-clock fields with 100 ns precision and the
 * DateTimeKind shown by the suffix: `Z` (Utc), `±hh:mm` (Local, with its offset), or none
 * (Unspecified). A JS Date would lose the sub-millisecond ticks and the offset, so this keeps both.
 */
export class PSDateTime {
  /**
   * @param fractionTicks 100 ns ticks within the second, 0–9 999 999.
   * @param offset `'Z'` for UTC, minutes east of UTC for a local time, `null` for an unspecified kind.
   */
  constructor(
    readonly year: number,
    readonly month: number,
    readonly day: number,
    readonly hour: number,
    readonly minute: number,
    readonly second: number,
    readonly fractionTicks: number,
    readonly offset: 'Z' | number | null,
  ) {
    const problem = dateTimeProblem(this);
    if (problem !== undefined) throw new UsageError(`invalid DateTime: ${problem}`);
  }

  /**
   * Reads the xs:dateTime text .NET writes (`2008-04-11T10:42:32.2731993-07:00`); undefined when it
   * is malformed or out of range. Fraction digits beyond the seventh are dropped (DateTime holds
   * 100 ns ticks).
   */
  static parse(text: string): PSDateTime | undefined {
    const match = DATE_TIME.exec(text);
    if (match === null) return undefined;
    const fraction = match[7];
    const zone = match[8];
    const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    let offset: 'Z' | number | null = null;
    if (zone === 'Z') offset = 'Z';
    else if (zone !== undefined) {
      const [hours, minutes] = [Number(zone.slice(1, 3)), Number(zone.slice(4, 6))];
      if (minutes > 59) return undefined;
      offset = (zone.startsWith('-') ? -1 : 1) * (hours * 60 + minutes);
    }
    const fractionTicks = Number((fraction ?? '').slice(0, 7).padEnd(7, '0'));
    const fields = { year, month, day, hour, minute, second, fractionTicks, offset };
    if (dateTimeProblem(fields) !== undefined) return undefined;
    return new PSDateTime(year, month, day, hour, minute, second, fractionTicks, offset);
  }

  /** The instant of a JS Date, as a UTC DateTime. */
  static fromDate(date: Date): PSDateTime {
    const ms = date.getTime();
    if (!Number.isFinite(ms)) throw new UsageError('invalid Date');
    return new PSDateTime(
      date.getUTCFullYear(),
      date.getUTCMonth() + 1,
      date.getUTCDate(),
      date.getUTCHours(),
      date.getUTCMinutes(),
      date.getUTCSeconds(),
      date.getUTCMilliseconds() * 10_000,
      'Z',
    );
  }

  /** The instant as a JS Date (millisecond precision); an unspecified kind is read as UTC. */
  toDate(): Date {
    const date = new Date(0);
    date.setUTCFullYear(this.year, this.month - 1, this.day);
    date.setUTCHours(this.hour, this.minute, this.second, Math.floor(this.fractionTicks / 10_000));
    const offsetMinutes = typeof this.offset === 'number' ? this.offset : 0;
    return new Date(date.getTime() - offsetMinutes * 60_000);
  }

  /** The CLIXML text, as .NET writes it: fraction without trailing zeros, then the kind suffix. */
  toString(): string {
    const pad = (value: number, width: number): string => String(value).padStart(width, '0');
    const fraction = this.fractionTicks === 0 ? '' : `.${pad(this.fractionTicks, 7).replace(/0+$/, '')}`;
    let zone = '';
    if (this.offset === 'Z') zone = 'Z';
    else if (this.offset !== null) {
      const magnitude = Math.abs(this.offset);
      zone = `${this.offset < 0 ? '-' : '+'}${pad(Math.floor(magnitude / 60), 2)}:${pad(magnitude % 60, 2)}`;
    }
    return (
      `${pad(this.year, 4)}-${pad(this.month, 2)}-${pad(this.day, 2)}` +
      `T${pad(this.hour, 2)}:${pad(this.minute, 2)}:${pad(this.second, 2)}${fraction}${zone}`
    );
  }
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})?$/;

/** Largest UTC offset .NET accepts (±14:00). */
const MAX_OFFSET_MINUTES = 14 * 60;

type DateTimeFields = Pick<
  PSDateTime,
  'year' | 'month' | 'day' | 'hour' | 'minute' | 'second' | 'fractionTicks' | 'offset'
>;

function dateTimeProblem(fields: DateTimeFields): string | undefined {
  const within = (value: number, min: number, max: number): boolean =>
    Number.isInteger(value) && value >= min && value <= max;
  if (!within(fields.year, 1, 9999)) return `year ${fields.year}`;
  if (!within(fields.month, 1, 12)) return `month ${fields.month}`;
  if (!within(fields.day, 1, daysInMonth(fields.year, fields.month))) return `day ${fields.day}`;
  if (!within(fields.hour, 0, 23)) return `hour ${fields.hour}`;
  if (!within(fields.minute, 0, 59)) return `minute ${fields.minute}`;
  if (!within(fields.second, 0, 59)) return `second ${fields.second}`;
  if (!within(fields.fractionTicks, 0, 9_999_999)) return `fraction ticks ${fields.fractionTicks}`;
  const { offset } = fields;
  if (offset !== null && offset !== 'Z' && !within(offset, -MAX_OFFSET_MINUTES, MAX_OFFSET_MINUTES)) {
    return `offset ${offset} minutes`;
  }
  return undefined;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}
