import { UsageError } from '../errors';
import { MalformedResponseError } from './errors';

/**
 * xs:duration as WS-Management uses it: we write seconds (`PT20S`, `PT7.5S` → `PT7.500S`), servers
 * write `PT7200.000S` or `P0DT0H1M2S`. Years and months have no fixed length, so they are refused.
 */
export function formatDuration(milliseconds: number): string {
  if (!Number.isSafeInteger(milliseconds) || milliseconds < 0) {
    throw new UsageError(`a duration must be a whole, non-negative number of milliseconds, not ${milliseconds}`);
  }
  const seconds = milliseconds % 1000 === 0 ? String(milliseconds / 1000) : (milliseconds / 1000).toFixed(3);
  return `PT${seconds}S`;
}

const DURATION = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/** Milliseconds in a server's duration; rounding drops sub-millisecond digits. */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  const match = DURATION.exec(trimmed);
  if (match === null || trimmed === 'P' || trimmed.endsWith('T')) {
    throw new MalformedResponseError(`${JSON.stringify(text)} is not a duration of days, hours, minutes and seconds`);
  }
  const [, days, hours, minutes, seconds] = match;
  const total =
    Number(days ?? 0) * 86_400_000 +
    Number(hours ?? 0) * 3_600_000 +
    Number(minutes ?? 0) * 60_000 +
    Math.round(Number(seconds ?? 0) * 1000);
  if (!Number.isSafeInteger(total)) throw new MalformedResponseError(`duration ${text} is out of range`);
  return total;
}
