import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { anyUtf16String, anyValue } from '../test-support/arbitraries';
import { deserializeClixml } from './deserializer';
import { ClixmlError } from './errors';
import { PSObject } from './object';
import { serializeClixml, type Serializable } from './serializer';

/** Plain JS values the serializer converts on its own. */
const plainValue: fc.Arbitrary<Serializable> = fc.letrec<{ value: Serializable }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    anyUtf16String,
    fc.double(),
    fc.integer(),
    fc.boolean(),
    fc.bigInt(-(2n ** 63n), 2n ** 64n - 1n),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.array(fc.tuple(tie('value'), tie('value')), { maxLength: 3 }).map((entries) => new Map(entries)),
  ),
})).value;

/** Runs `parse` and accepts only success or a ClixmlError. */
function onlyClixmlErrors(xml: string): void {
  try {
    deserializeClixml(xml, { maxInputChars: 100_000, maxDepth: 64 });
  } catch (error) {
    if (!(error instanceof ClixmlError)) throw error;
  }
}

describe('CLIXML properties', () => {
  it('reads back every value it writes, exactly', () => {
    fc.assert(
      fc.property(anyValue, (value) => {
        expect(deserializeClixml(serializeClixml(value))).toEqual(value);
      }),
      { numRuns: 500 },
    );
  });

  it('keeps shared objects shared (Ref) through a round trip', () => {
    const objects = fc.array(
      anyValue.filter((value): value is PSObject => value instanceof PSObject),
      { minLength: 1, maxLength: 4 },
    );
    fc.assert(
      fc.property(objects, fc.array(fc.nat(), { minLength: 2, maxLength: 8 }), (pool, picks) => {
        const items = picks.map((pick) => pool[pick % pool.length] ?? null);
        const read = deserializeClixml(serializeClixml(new PSObject({ value: { kind: 'List', items } })));
        const readItems = read instanceof PSObject && read.value?.kind === 'List' ? read.value.items : [];
        expect(readItems).toEqual(items);
        items.forEach((item, i) =>
          items.forEach((other, j) => expect(readItems[i] === readItems[j]).toBe(item === other)),
        );
      }),
      { numRuns: 300 },
    );
  });

  it('writes plain JS values the same way before and after a round trip', () => {
    fc.assert(
      fc.property(plainValue, (value) => {
        const xml = serializeClixml(value);
        expect(serializeClixml(deserializeClixml(xml))).toBe(xml);
      }),
      { numRuns: 500 },
    );
  });

  it('on random text only returns values or throws ClixmlError', () => {
    const markup = fc.string({
      unit: fc.constantFrom('<', '>', '/', '=', '"', '&', ';', '#', 'x', '_', ' ', 'S', 'Obj'),
    });
    fc.assert(fc.property(fc.oneof(anyUtf16String, markup), onlyClixmlErrors), { numRuns: 3000 });
  });

  it('on mutated CLIXML only returns values or throws ClixmlError', () => {
    const mutated = fc
      .tuple(
        anyValue.map((value) => serializeClixml(value)),
        fc.array(
          fc.tuple(
            fc.nat(),
            fc.nat(8),
            fc.constantFrom(
              '',
              '<',
              '>',
              '/>',
              '"',
              '&',
              '&#0;',
              'RefId="9"',
              '<Obj>',
              '</Obj>',
              '<Ref RefId="0"/>',
              'x',
            ),
          ),
          { minLength: 1, maxLength: 4 },
        ),
      )
      .map(([xml, edits]) =>
        edits.reduce((text, [at, remove, insert]) => {
          const position = text.length === 0 ? 0 : at % text.length;
          return text.slice(0, position) + insert + text.slice(position + remove);
        }, xml),
      );
    fc.assert(fc.property(mutated, onlyClixmlErrors), { numRuns: 3000 });
  });

  it('stays fast and bounded on hostile shapes', () => {
    const started = performance.now();
    const hostile = [
      '<Obj>'.repeat(100_000),
      `<Obj RefId="0"><LST>${'<Ref RefId="0" />'.repeat(20_000)}</LST></Obj>`,
      `<S>${'_x'.repeat(40_000)}</S>`,
      `<S>${'&amp;'.repeat(20_000)}</S>`,
      `<I32>${' '.repeat(90_000)}x</I32>`,
      `<TS>P${'1'.repeat(90_000)}Q</TS>`,
      `<DT>2000-01-01T00:00:00.${'1'.repeat(90_000)}x</DT>`,
      `<Db>${'1'.repeat(90_000)}x</Db>`,
      `<Obj RefId="0">${'<TN RefId="0"><T>a</T></TN>'.repeat(10_000)}</Obj>`,
      `<S a="${'"'.repeat(1)}${'x'.repeat(90_000)}`,
      '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]><S>&b;</S>',
    ];
    for (const xml of hostile) onlyClixmlErrors(xml);
    const cyclic = deserializeClixml(`<Obj RefId="0"><LST>${'<Ref RefId="0" />'.repeat(20_000)}</LST></Obj>`);
    expect(cyclic).not.toBeNull();
    expect(() => deserializeClixml('<S>x</S>', { maxInputChars: 3 })).toThrow(ClixmlError);
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
