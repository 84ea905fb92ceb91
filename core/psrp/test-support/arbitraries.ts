/** fast-check generators for the PSRP codecs' property tests (test-only). */
import fc from 'fast-check';
import { PSDateTime } from '../clixml/datetime';
import { PSObject, type PSBaseObject, type PSContainer, type PSValue } from '../clixml/object';
import type { PSPrimitive } from '../clixml/primitives';
import { PSTimeSpan } from '../clixml/timespan';
import { PSVersion } from '../clixml/version';

/** Any sequence of UTF-16 code units, lone surrogates and controls included. */
export const anyUtf16String = fc.string({
  unit: fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)),
});

const int = (min: number, max: number): fc.Arbitrary<number> => fc.integer({ min, max });

const dateTime = fc
  .record({
    date: fc.date({ min: new Date(Date.UTC(1, 0, 1)), max: new Date(Date.UTC(9999, 11, 31)), noInvalidDate: true }),
    ticks: int(0, 9_999_999),
    offset: fc.oneof(fc.constant<'Z'>('Z'), fc.constant(null), int(-14 * 60, 14 * 60)),
  })
  .map(({ date, ticks, offset }) => {
    const d = date;
    return new PSDateTime(
      d.getUTCFullYear(),
      d.getUTCMonth() + 1,
      d.getUTCDate(),
      d.getUTCHours(),
      d.getUTCMinutes(),
      d.getUTCSeconds(),
      ticks,
      offset,
    );
  });

/** Every primitive kind, with values across its whole range. */
export const anyPrimitive: fc.Arbitrary<PSPrimitive> = fc.oneof(
  anyUtf16String.map((value) => ({ kind: 'String', value }) as const),
  int(0, 0xffff).map((value) => ({ kind: 'Char', value }) as const),
  fc.boolean().map((value) => ({ kind: 'Boolean', value }) as const),
  dateTime.map((value) => ({ kind: 'DateTime', value }) as const),
  fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n).map((ticks) => ({ kind: 'TimeSpan', value: new PSTimeSpan(ticks) }) as const),
  int(0, 0xff).map((value) => ({ kind: 'Byte', value }) as const),
  int(-0x80, 0x7f).map((value) => ({ kind: 'SByte', value }) as const),
  int(0, 0xffff).map((value) => ({ kind: 'UInt16', value }) as const),
  int(-0x8000, 0x7fff).map((value) => ({ kind: 'Int16', value }) as const),
  int(0, 0xffff_ffff).map((value) => ({ kind: 'UInt32', value }) as const),
  int(-0x8000_0000, 0x7fff_ffff).map((value) => ({ kind: 'Int32', value }) as const),
  fc.bigInt(0n, 2n ** 64n - 1n).map((value) => ({ kind: 'UInt64', value }) as const),
  fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n).map((value) => ({ kind: 'Int64', value }) as const),
  fc.float().map((value) => ({ kind: 'Single', value }) as const),
  fc.double().map((value) => ({ kind: 'Double', value }) as const),
  fc.stringMatching(/^-?\d{1,28}(\.\d{1,10})?$/).map((value) => ({ kind: 'Decimal', value }) as const),
  fc.uint8Array({ maxLength: 40 }).map((value) => ({ kind: 'ByteArray', value }) as const),
  fc.uuid().map((value) => ({ kind: 'Guid', value }) as const),
  anyUtf16String.map((value) => ({ kind: 'Uri', value }) as const),
  fc
    .tuple(int(0, 2 ** 31 - 1), int(0, 2 ** 31 - 1), fc.option(int(0, 9)), fc.option(int(0, 9)))
    .map(([major, minor, build, revision]) => ({
      kind: 'Version' as const,
      value: new PSVersion(major, minor, build ?? undefined, build === null ? undefined : (revision ?? undefined)),
    })),
  anyUtf16String.map((value) => ({ kind: 'XmlDocument', value }) as const),
  anyUtf16String.map((value) => ({ kind: 'ScriptBlock', value }) as const),
  fc.base64String().map((value) => ({ kind: 'SecureString', value }) as const),
  fc
    .record({
      activity: anyUtf16String,
      activityId: int(-0x8000_0000, 0x7fff_ffff),
      statusDescription: anyUtf16String,
      currentOperation: fc.option(anyUtf16String),
      parentActivityId: int(-1, 100),
      percentComplete: int(-1, 100),
      secondsRemaining: int(-1, 100_000),
      recordType: fc.constantFrom('Processing', 'Completed'),
    })
    .map((value) => ({ kind: 'ProgressRecord', value }) as const),
);

/** Trees of values: primitives, nulls and PSObjects with type names, properties and containers. */
export const anyValue: fc.Arbitrary<PSValue> = fc.letrec<{ value: PSValue; object: PSObject }>((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, fc.constant(null), anyPrimitive, tie('object')),
  object: fc
    .record({
      typeNames: fc.array(anyUtf16String, { maxLength: 3 }),
      toStringText: fc.option(anyUtf16String, { nil: undefined }),
      value: fc.option(
        fc.oneof(
          anyPrimitive,
          fc
            .tuple(fc.constantFrom('List', 'Enumerable', 'Stack', 'Queue'), fc.array(tie('value'), { maxLength: 3 }))
            .map(([kind, items]): PSContainer => ({ kind, items })),
          fc
            .array(fc.record({ key: tie('value'), value: tie('value') }), { maxLength: 3 })
            .map((entries): PSContainer => ({ kind: 'Dictionary', entries })),
          tie('object').map((object): PSBaseObject => ({ kind: 'BaseObject', object })),
        ),
        { nil: undefined },
      ),
      adaptedProperties: fc.array(fc.tuple(anyUtf16String, tie('value')), { maxLength: 3 }),
      extendedProperties: fc.array(fc.tuple(anyUtf16String, tie('value')), { maxLength: 3 }),
    })
    .map((init) => new PSObject(init)),
})).value;
