import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors';
import { formatDuration, parseDuration } from './duration';
import { MalformedResponseError } from './errors';

describe('durations', () => {
  it('writes whole seconds bare and fractions with milliseconds', () => {
    expect(formatDuration(20_000)).toBe('PT20S');
    expect(formatDuration(0)).toBe('PT0S');
    expect(formatDuration(60_001)).toBe('PT60.001S');
    expect(formatDuration(7_500)).toBe('PT7.500S');
  });

  it('refuses negative and fractional milliseconds', () => {
    expect(() => formatDuration(-1)).toThrow(UsageError);
    expect(() => formatDuration(1.5)).toThrow(UsageError);
    expect(() => formatDuration(Number.NaN)).toThrow(UsageError);
  });

  it('reads the forms Windows writes', () => {
    expect(parseDuration('PT7200.000S')).toBe(7_200_000);
    expect(parseDuration('PT2147483.647S')).toBe(2_147_483_647);
    expect(parseDuration('P0DT0H0M0S')).toBe(0);
    expect(parseDuration('P0DT0H1M2S')).toBe(62_000);
    expect(parseDuration('P1DT2H')).toBe(93_600_000);
    expect(parseDuration(' PT20S ')).toBe(20_000);
  });

  it('refuses what is not a day-time duration', () => {
    for (const bad of ['', 'P', 'PT', 'P1DT', 'PT-1S', 'P1Y', 'P1M', 'PT1.S', '20', 'PT1H2', 'P1DT1S1M']) {
      expect(() => parseDuration(bad), bad).toThrow(MalformedResponseError);
    }
  });

  it('reads back what it writes', () => {
    fc.assert(
      fc.property(fc.nat({ max: 2 ** 40 }), (ms) => {
        expect(parseDuration(formatDuration(ms))).toBe(ms);
      }),
    );
  });
});
