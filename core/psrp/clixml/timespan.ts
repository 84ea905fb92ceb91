import { UsageError } from '../../errors';

const TICKS_PER_SECOND = 10_000_000n;
const TICKS_PER_MINUTE = 60n * TICKS_PER_SECOND;
const TICKS_PER_HOUR = 60n * TICKS_PER_MINUTE;
const TICKS_PER_DAY = 24n * TICKS_PER_HOUR;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Components longer than this cannot fit an Int64 tick count; refusing them early keeps parsing linear. */
const MAX_COMPONENT_DIGITS = 20;

/**
 * xs:duration as .NET `XmlConvert` reads it: optional sign, `P`, then years, months, days, and after
 * `T` hours, minutes, seconds with a fraction. Years count 365 days and months 30 (the .NET rule).
 */
const DURATION = /^(-)?P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)(?:\.(\d+))?S)?)?$/;

/** A .NET TimeSpan (`TS`): a signed 64-bit count of 100 ns ticks. */
export class PSTimeSpan {
  constructor(readonly ticks: bigint) {
    if (ticks < INT64_MIN || ticks > INT64_MAX) throw new UsageError(`TimeSpan of ${ticks} ticks is out of range`);
  }

  /** Reads xs:duration text (`PT9.0269026S`, `P1DT2H`); undefined when malformed or out of range. */
  static parse(text: string): PSTimeSpan | undefined {
    const match = DURATION.exec(text);
    if (match === null || text.endsWith('T') || /^-?P$/.test(text)) return undefined;
    const [, sign, years, months, days, hours, minutes, seconds, fraction] = match;
    const parts = [years, months, days, hours, minutes, seconds];
    if (parts.some((part) => part !== undefined && part.replace(/^0+/, '').length > MAX_COMPONENT_DIGITS)) {
      return undefined;
    }
    const [y, mo, d, h, mi, s] = parts.map((part) => BigInt(part ?? '0')) as [
      bigint,
      bigint,
      bigint,
      bigint,
      bigint,
      bigint,
    ];
    const totalDays = (y + mo / 12n) * 365n + (mo % 12n) * 30n + d;
    const magnitude =
      totalDays * TICKS_PER_DAY +
      h * TICKS_PER_HOUR +
      mi * TICKS_PER_MINUTE +
      s * TICKS_PER_SECOND +
      BigInt((fraction ?? '').slice(0, 7).padEnd(7, '0'));
    const ticks = sign === '-' ? -magnitude : magnitude;
    return ticks < INT64_MIN || ticks > INT64_MAX ? undefined : new PSTimeSpan(ticks);
  }

  /** The xs:duration text .NET writes: `PT0S` for zero, zero components omitted, fraction trimmed. */
  toString(): string {
    if (this.ticks === 0n) return 'PT0S';
    let rest = this.ticks < 0n ? -this.ticks : this.ticks;
    const days = rest / TICKS_PER_DAY;
    rest %= TICKS_PER_DAY;
    let text = `${this.ticks < 0n ? '-' : ''}P${days > 0n ? `${days}D` : ''}`;
    if (rest > 0n) {
      const hours = rest / TICKS_PER_HOUR;
      const minutes = (rest % TICKS_PER_HOUR) / TICKS_PER_MINUTE;
      const seconds = (rest % TICKS_PER_MINUTE) / TICKS_PER_SECOND;
      const fraction = rest % TICKS_PER_SECOND;
      text += 'T';
      if (hours > 0n) text += `${hours}H`;
      if (minutes > 0n) text += `${minutes}M`;
      if (seconds > 0n || fraction > 0n) {
        text += `${seconds}${fraction > 0n ? `.${fraction.toString().padStart(7, '0').replace(/0+$/, '')}` : ''}S`;
      }
    }
    return text;
  }
}
