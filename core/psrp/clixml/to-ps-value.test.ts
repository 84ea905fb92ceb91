import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../errors';
import { anyValue } from '../test-support/arbitraries';
import type { PSObject } from './object';
import { serializeClixml, toPSValue, type Serializable } from './serializer';

const plain: fc.Arbitrary<Serializable> = fc.letrec<{ value: Serializable }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.constant(undefined),
    fc.string(),
    fc.boolean(),
    fc.double(),
    fc.integer(),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }),
    anyValue,
    fc.array(tie('value'), { maxLength: 3 }),
    fc.array(fc.tuple(tie('value'), tie('value')), { maxLength: 3 }).map((entries) => new Map(entries)),
  ),
})).value;

describe('toPSValue', () => {
  it('gives the object model that serializes exactly like the plain value', () => {
    fc.assert(
      fc.property(plain, (value) => {
        expect(serializeClixml(toPSValue(value))).toBe(serializeClixml(value));
      }),
      { numRuns: 300 },
    );
  });

  it('keeps an array met twice as one object, so it is written as a Ref', () => {
    const shared = [1, 2];
    const converted = toPSValue([shared, shared]) as PSObject;
    const items = converted.value?.kind === 'List' ? converted.value.items : [];
    expect(items[0]).toBe(items[1]);
    expect(serializeClixml(converted)).toContain('<Ref RefId="1" />');
  });

  it('refuses values CLIXML cannot carry', () => {
    expect(() => toPSValue({ plain: 'object' } as unknown as Serializable)).toThrow(UsageError);
  });
});
