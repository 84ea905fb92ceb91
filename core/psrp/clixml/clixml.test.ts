import { describe, expect, it } from 'vitest';
import { UsageError } from '../../errors';
import { PSDateTime } from './datetime';
import { deserializeClixml } from './deserializer';
import { ClixmlError } from './errors';
import { psEnum, PSObject, type PSValue } from './object';
import { primitive, type PrimitiveKind, type PrimitiveValues } from './primitives';
import { serializeClixml } from './serializer';
import { PSTimeSpan } from './timespan';
import { PSVersion } from './version';

/** Serializes, checks the text, and checks that it reads back as the same value. */
function roundTrip(value: PSValue, xml: string): void {
  expect(serializeClixml(value)).toBe(xml);
  expect(deserializeClixml(xml)).toEqual(value);
}

const p = <K extends PrimitiveKind>(kind: K, value: PrimitiveValues[K]): PSValue => primitive(kind, value);

describe('CLIXML primitives (MS-PSRP 2.2.5.1)', () => {
  // Vectors from psrpcore tests/types/test_primitive.py, written as .NET writes them.
  it.each<[string, PSValue, string]>([
    ['Nil', null, '<Nil />'],
    ['S', p('String', 'a<b>&c'), '<S>a&lt;b&gt;&amp;c</S>'],
    ['empty S', p('String', ''), '<S></S>'],
    ['C', p('Char', 0x2728), '<C>10024</C>'],
    ['B', p('Boolean', true), '<B>true</B>'],
    ['By', p('Byte', 255), '<By>255</By>'],
    ['SB', p('SByte', -128), '<SB>-128</SB>'],
    ['U16', p('UInt16', 65535), '<U16>65535</U16>'],
    ['I16', p('Int16', -32768), '<I16>-32768</I16>'],
    ['U32', p('UInt32', 4294967295), '<U32>4294967295</U32>'],
    ['I32', p('Int32', -2147483648), '<I32>-2147483648</I32>'],
    ['U64', p('UInt64', 18446744073709551615n), '<U64>18446744073709551615</U64>'],
    ['I64', p('Int64', -9223372036854775808n), '<I64>-9223372036854775808</I64>'],
    ['Sg', p('Single', Math.fround(1.1)), '<Sg>1.1</Sg>'],
    ['Sg max', p('Single', Math.fround(3.402823e38)), '<Sg>3.402823E+38</Sg>'],
    ['Db', p('Double', 1.7976931348623157e308), '<Db>1.7976931348623157E+308</Db>'],
    ['Db NaN', p('Double', Number.NaN), '<Db>NaN</Db>'],
    ['Db INF', p('Double', Number.POSITIVE_INFINITY), '<Db>INF</Db>'],
    ['Db -INF', p('Double', Number.NEGATIVE_INFINITY), '<Db>-INF</Db>'],
    ['Db -0', p('Double', -0), '<Db>-0</Db>'],
    ['D', p('Decimal', '1.10'), '<D>1.10</D>'],
    ['BA', p('ByteArray', Uint8Array.of(0, 1, 2, 3)), '<BA>AAECAw==</BA>'],
    ['G', p('Guid', 'f5853fa8-a3d8-438c-bf94-723d3fef8934'), '<G>f5853fa8-a3d8-438c-bf94-723d3fef8934</G>'],
    ['URI', p('Uri', 'http://x/_x'), '<URI>http://x/_x005F_x</URI>'],
    ['Version', p('Version', new PSVersion(10, 10234, 2030, 102)), '<Version>10.10234.2030.102</Version>'],
    ['XD', p('XmlDocument', '<a>\n</a>'), '<XD>&lt;a&gt;_x000A_&lt;/a&gt;</XD>'],
    ['SBK', p('ScriptBlock', 'Get-Date\r\n'), '<SBK>Get-Date_x000D__x000A_</SBK>'],
    [
      'SS',
      p('SecureString', 'GXD6gSYvWjfp54Vgl3jLpuNMBhNdfWFRbM1QdeUNYFU='),
      '<SS>GXD6gSYvWjfp54Vgl3jLpuNMBhNdfWFRbM1QdeUNYFU=</SS>',
    ],
  ])('%s', (_, value, xml) => roundTrip(value, xml));

  it.each([
    ['1970-01-01T00:00:00Z', new PSDateTime(1970, 1, 1, 0, 0, 0, 0, 'Z')],
    ['1970-06-11T04:08:23.1234564-10:35', new PSDateTime(1970, 6, 11, 4, 8, 23, 1_234_564, -635)],
    ['2001-04-05T02:04:05.0001111Z', new PSDateTime(2001, 4, 5, 2, 4, 5, 1111, 'Z')],
    ['2018-06-13T23:46:27.9270288+00:00', new PSDateTime(2018, 6, 13, 23, 46, 27, 9_270_288, 0)],
    ['2000-02-29T15:43:10.5', new PSDateTime(2000, 2, 29, 15, 43, 10, 5_000_000, null)],
  ])('DT %s keeps 100 ns ticks and the kind', (text, value) => {
    roundTrip(primitive('DateTime', value), `<DT>${text}</DT>`);
  });

  it('reads DT fractions beyond 7 digits by truncation and converts to and from Date', () => {
    const read = deserializeClixml('<DT>2000-01-02T03:04:05.123456789+01:00</DT>');
    expect(read).toEqual(primitive('DateTime', new PSDateTime(2000, 1, 2, 3, 4, 5, 1_234_567, 60)));
    expect(new PSDateTime(2000, 1, 2, 3, 4, 5, 1_234_567, 60).toDate().toISOString()).toBe('2000-01-02T02:04:05.123Z');
    expect(PSDateTime.fromDate(new Date('2024-02-29T12:00:00.250Z')).toString()).toBe('2024-02-29T12:00:00.25Z');
  });

  it.each([
    ['PT0S', 0n],
    ['P1D', 864_000_000_000n],
    ['PT1H5M', 39_000_000_000n],
    ['PT1H40M5S', 60_050_000_000n],
    ['-PT1H40M5S', -60_050_000_000n],
    ['PT0.000099S', 990n],
    ['P10675199DT2H48M5.47758S', 9_223_372_036_854_775_800n],
    ['P11DT2H12M9.0010011S', 9_583_290_010_011n],
  ])('TS %s', (text, ticks) => {
    roundTrip(primitive('TimeSpan', new PSTimeSpan(ticks)), `<TS>${text}</TS>`);
  });

  it('reads .NET duration variants: years, months, surplus fraction digits', () => {
    expect(PSTimeSpan.parse('P1Y2M3DT4.123456789S')?.ticks).toBe(
      ((365n + 60n + 3n) * 86_400n + 4n) * 10_000_000n + 1_234_567n,
    );
    expect(PSTimeSpan.parse('PT')).toBeUndefined();
    expect(PSTimeSpan.parse('P')).toBeUndefined();
    expect(PSTimeSpan.parse('P10675200D')).toBeUndefined();
  });

  it('orders versions as .NET does', () => {
    const v = (text: string): PSVersion => PSVersion.parse(text) ?? new PSVersion(0, 0);
    expect(v('2.3').compareTo(v('2.2'))).toBe(1);
    expect(v('2.3').compareTo(v('2.3.0'))).toBe(-1);
    expect(v('99.102.0.19').compareTo(v('99.102.1.0'))).toBe(-1);
    expect(v('2.3.1').compareTo(v('2.3.1'))).toBe(0);
    expect(PSVersion.parse('1.2.3.4.5')).toBeUndefined();
    expect(PSVersion.parse('1')).toBeUndefined();
  });

  it('reads whitespace around numbers, 1/0 booleans, upper-case GUIDs and Infinity', () => {
    expect(deserializeClixml('<I32> 42\n</I32>')).toEqual(p('Int32', 42));
    expect(deserializeClixml('<B>1</B>')).toEqual(p('Boolean', true));
    expect(deserializeClixml('<G>F5853FA8-A3D8-438C-BF94-723D3FEF8934</G>')).toEqual(
      p('Guid', 'f5853fa8-a3d8-438c-bf94-723d3fef8934'),
    );
    expect(deserializeClixml('<Db>-Infinity</Db>')).toEqual(p('Double', Number.NEGATIVE_INFINITY));
    expect(deserializeClixml('<Sg>0.1</Sg>')).toEqual(p('Single', Math.fround(0.1)));
    expect(deserializeClixml('<BA />')).toEqual(p('ByteArray', new Uint8Array()));
  });

  it.each(
    [
      '<I32>2147483648</I32>',
      '<By>-1</By>',
      '<U64>18446744073709551616</U64>',
      `<I64>${'9'.repeat(5000)}</I64>`,
      '<I32>1.5</I32>',
      '<B>yes</B>',
      '<C>65536</C>',
      '<Db>1e</Db>',
      '<D>1e5</D>',
      '<G>xyz</G>',
      '<BA>abc</BA>',
      '<DT>2001-02-29T00:00:00Z</DT>',
      '<DT>2001-01-01T00:00:00+15:00</DT>',
      '<TS>P1H</TS>',
      '<Version>1.a</Version>',
      '<S><b/></S>',
      '<Unknown>1</Unknown>',
    ].map((xml) => ({ xml, label: xml.length > 40 ? `${xml.slice(0, 20)}…` : xml })),
  )('rejects $label', ({ xml }) => {
    expect(() => deserializeClixml(xml)).toThrow(ClixmlError);
  });

  it('refuses invalid values at construction', () => {
    expect(() => primitive('Int32', 2 ** 31)).toThrow(UsageError);
    expect(() => primitive('Single', 0.1)).toThrow(UsageError);
    expect(() => primitive('Guid', 'F5853FA8-A3D8-438C-BF94-723D3FEF8934')).toThrow(UsageError);
    expect(() => new PSDateTime(2023, 2, 29, 0, 0, 0, 0, 'Z')).toThrow(UsageError);
    expect(() => new PSTimeSpan(2n ** 63n)).toThrow(UsageError);
    expect(() => serializeClixml({ kind: 'Byte', value: 256 })).toThrow(UsageError);
  });
});

describe('CLIXML progress records (PR)', () => {
  it('writes the pwsh element order and reads it back', () => {
    const record = primitive('ProgressRecord', {
      activity: 'Copy',
      activityId: 1,
      statusDescription: '50 %',
      currentOperation: null,
      parentActivityId: -1,
      percentComplete: 50,
      secondsRemaining: -1,
      recordType: 'Processing',
    });
    roundTrip(
      record,
      '<PR><AV>Copy</AV><AI>1</AI><Nil /><PI>-1</PI><PC>50</PC><T>Processing</T><SR>-1</SR><SD>50 %</SD></PR>',
    );
    expect(
      deserializeClixml(
        '<PR><SD>s</SD><S>op</S><AV>a</AV><AI>2</AI><PI>1</PI><PC>3</PC><T>Completed</T><SR>4</SR></PR>',
      ),
    ).toEqual(
      primitive('ProgressRecord', {
        activity: 'a',
        activityId: 2,
        statusDescription: 's',
        currentOperation: 'op',
        parentActivityId: 1,
        percentComplete: 3,
        secondsRemaining: 4,
        recordType: 'Completed',
      }),
    );
    expect(() => deserializeClixml('<PR><AV>a</AV></PR>')).toThrow(/PR lacks/);
  });
});

describe('CLIXML objects', () => {
  it('writes an enum as TN, ToString and I32 (PROTOCOL.md §2.8)', () => {
    roundTrip(
      psEnum('System.Management.Automation.Runspaces.PSThreadOptions', 'Default', 0),
      '<Obj RefId="0"><TN RefId="0"><T>System.Management.Automation.Runspaces.PSThreadOptions</T><T>System.Enum</T>' +
        '<T>System.ValueType</T><T>System.Object</T></TN><ToString>Default</ToString><I32>0</I32></Obj>',
    );
  });

  it('numbers Obj and TN RefIds separately and reuses TN through TNRef', () => {
    const state = (name: string, value: number): PSObject => psEnum('Demo.State', name, value);
    const root = new PSObject({
      extendedProperties: [
        ['First', state('A', 1)],
        ['Second', state('B', 2)],
      ],
    });
    const xml = serializeClixml(root);
    expect(xml).toBe(
      '<Obj RefId="0"><MS>' +
        '<Obj N="First" RefId="1"><TN RefId="0"><T>Demo.State</T><T>System.Enum</T><T>System.ValueType</T>' +
        '<T>System.Object</T></TN><ToString>A</ToString><I32>1</I32></Obj>' +
        '<Obj N="Second" RefId="2"><TNRef RefId="0" /><ToString>B</ToString><I32>2</I32></Obj>' +
        '</MS></Obj>',
    );
    expect(deserializeClixml(xml)).toEqual(root);
  });

  it('escapes property names and type names like strings', () => {
    const object = new PSObject({ typeNames: ['A_xB'], adaptedProperties: [['line\nbreak', null]] });
    const xml = serializeClixml(object);
    expect(xml).toBe(
      '<Obj RefId="0"><TN RefId="0"><T>A_x005F_xB</T></TN><Props><Nil N="line_x000A_break" /></Props></Obj>',
    );
    expect(deserializeClixml(xml)).toEqual(object);
  });

  it('writes a shared object once and Ref after, and reads Ref as the same instance', () => {
    const shared = new PSObject({ toStringText: 'shared' });
    const root = new PSObject({ value: { kind: 'List', items: [shared, shared] } });
    const xml = serializeClixml(root);
    expect(xml).toBe(
      '<Obj RefId="0"><LST><Obj RefId="1"><ToString>shared</ToString></Obj><Ref RefId="1" /></LST></Obj>',
    );
    const read = deserializeClixml(xml) as PSObject;
    const items = read.value?.kind === 'List' ? read.value.items : [];
    expect(items[0]).toBeInstanceOf(PSObject);
    expect(items[0]).toBe(items[1]);
  });

  it('handles a cycle on both sides without looping', () => {
    const self = new PSObject();
    self.extendedProperties.set('Self', self);
    const xml = serializeClixml(self);
    expect(xml).toBe('<Obj RefId="0"><MS><Ref N="Self" RefId="0" /></MS></Obj>');
    const read = deserializeClixml(xml) as PSObject;
    expect(read.property('Self')).toBe(read);
  });

  it('reads dictionaries with any key and value, in order', () => {
    const xml =
      '<Obj RefId="0"><TN RefId="0"><T>Deserialized.System.Collections.Hashtable</T></TN><DCT>' +
      '<En><S N="Key">a</S><I32 N="Value">1</I32></En><En><I32 N="Value">2</I32><Nil N="Key" /></En></DCT></Obj>';
    const read = deserializeClixml(xml) as PSObject;
    expect(read.isInstanceOf('System.Collections.Hashtable')).toBe(true);
    expect(read.value).toEqual({
      kind: 'Dictionary',
      entries: [
        { key: p('String', 'a'), value: p('Int32', 1) },
        { key: null, value: p('Int32', 2) },
      ],
    });
  });

  it.each([
    ['a Ref to an unknown RefId', '<Obj RefId="0"><MS><Ref N="x" RefId="7" /></MS></Obj>'],
    ['a TNRef to an unknown TN', '<Obj RefId="0"><TNRef RefId="3" /></Obj>'],
    ['two base values', '<Obj RefId="0"><I32>1</I32><LST /></Obj>'],
    ['two TN', '<Obj RefId="0"><TN RefId="0"><T>a</T></TN><TNRef RefId="0" /></Obj>'],
    ['a property without a name', '<Obj RefId="0"><MS><I32>1</I32></MS></Obj>'],
    ['a dictionary entry without a value', '<Obj RefId="0"><DCT><En><S N="Key">a</S></En></DCT></Obj>'],
    ['a non-T in TN', '<Obj RefId="0"><TN RefId="0"><S>a</S></TN></Obj>'],
    ['text in an Obj', '<Obj RefId="0">text</Obj>'],
    ['content in Nil', '<Nil>x</Nil>'],
  ])('rejects %s', (_, xml) => {
    expect(() => deserializeClixml(xml)).toThrow(ClixmlError);
  });

  it('reads an Obj wrapping another Obj as its base value (seen from Windows)', () => {
    const read = deserializeClixml(
      '<Obj RefId="0"><Obj RefId="1"><S>inner</S></Obj><MS><Ref N="Same" RefId="1" /></MS></Obj>',
    );
    const outer = read as PSObject;
    const inner = outer.value?.kind === 'BaseObject' ? outer.value.object : undefined;
    expect(inner?.value).toEqual(p('String', 'inner'));
    expect(outer.property('Same')).toBe(inner);
  });
});

describe('serializing plain JS values', () => {
  it('maps strings, booleans, numbers, bigints, null and undefined', () => {
    expect(serializeClixml('x')).toBe('<S>x</S>');
    expect(serializeClixml(false)).toBe('<B>false</B>');
    expect(serializeClixml(7)).toBe('<I32>7</I32>');
    expect(serializeClixml(2 ** 31)).toBe('<Db>2147483648</Db>');
    expect(serializeClixml(0.5)).toBe('<Db>0.5</Db>');
    expect(serializeClixml(-0)).toBe('<Db>-0</Db>');
    expect(serializeClixml(2n ** 40n)).toBe('<I64>1099511627776</I64>');
    expect(serializeClixml(2n ** 64n - 1n)).toBe('<U64>18446744073709551615</U64>');
    expect(() => serializeClixml(2n ** 64n)).toThrow(UsageError);
    expect(serializeClixml(null)).toBe('<Nil />');
    expect(serializeClixml(undefined)).toBe('<Nil />');
  });

  it('maps arrays to System.Object[] and Maps to Hashtable, with Ref for repeats', () => {
    const inner = ['a', 1];
    expect(serializeClixml([inner, inner])).toBe(
      '<Obj RefId="0"><TN RefId="0"><T>System.Object[]</T><T>System.Array</T><T>System.Object</T></TN><LST>' +
        '<Obj RefId="1"><TNRef RefId="0" /><LST><S>a</S><I32>1</I32></LST></Obj><Ref RefId="1" /></LST></Obj>',
    );
    expect(serializeClixml(new Map<string, unknown[]>([['k', []]]) as Map<string, never[]>)).toBe(
      '<Obj RefId="0"><TN RefId="0"><T>System.Collections.Hashtable</T><T>System.Object</T></TN><DCT>' +
        '<En><S N="Key">k</S><Obj N="Value" RefId="1"><TN RefId="1"><T>System.Object[]</T><T>System.Array</T>' +
        '<T>System.Object</T></TN><LST /></Obj></En></DCT></Obj>',
    );
  });

  it('refuses values it cannot represent', () => {
    expect(() => serializeClixml({ a: 1 } as never)).toThrow(UsageError);
    expect(() => serializeClixml(Symbol('x') as never)).toThrow(UsageError);
  });
});
