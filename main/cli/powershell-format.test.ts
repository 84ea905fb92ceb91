import { describe, expect, it } from 'vitest';
import { PSDateTime, PSObject, PSTimeSpan, primitive, psEnum, type PSValue } from '../../core/psrp/clixml';
import type { ErrorRecordInfo } from '../../core/psrp/session';
import { errorText, jsonText, PowerShellFormatter } from './powershell-format';

function format(...values: PSValue[]): string {
  let text = '';
  const formatter = new PowerShellFormatter((chunk) => (text += chunk));
  for (const value of values) formatter.push(value);
  formatter.flush();
  return text;
}

const custom = (properties: [string, PSValue][]) =>
  new PSObject({
    typeNames: ['System.Management.Automation.PSCustomObject', 'System.Object'],
    extendedProperties: properties,
  });
const list = (...items: PSValue[]) => new PSObject({ typeNames: ['System.Object[]'], value: { kind: 'List', items } });

describe('PowerShellFormatter', () => {
  it('writes scalars one per line as PowerShell shows them, and nothing for $null', () => {
    const text = format(
      primitive('Int32', 1),
      primitive('String', 'two'),
      null,
      primitive('Boolean', true),
      primitive('Double', 2.5),
      primitive('Int64', 9007199254740993n),
      primitive('DateTime', new PSDateTime(2026, 11, 26, 14, 5, 9, 0, 'Z')),
      primitive('TimeSpan', new PSTimeSpan(900_000_000_000n + 15_000_000n)),
      psEnum('System.DayOfWeek', 'Thursday', 4),
    );
    expect(text).toBe(
      '1\ntwo\nTrue\n2.5\n9007199254740993\nThursday, November 26, 2026 2:05:09 PM\n1.01:00:01.5000000\nThursday\n',
    );
  });

  it('enumerates collections, and shows a DateTime with a DisplayHint note as a date', () => {
    const date = new PSObject({
      value: primitive('DateTime', new PSDateTime(2026, 1, 1, 0, 0, 0, 0, null)),
      extendedProperties: [['DisplayHint', psEnum('Microsoft.PowerShell.Commands.DisplayHintType', 'DateTime', 2)]],
    });
    expect(format(list(primitive('Int32', 1), primitive('Int32', 2)), date)).toBe(
      '1\n2\nThursday, January 1, 2026 12:00:00 AM\n',
    );
  });

  it('writes uniform objects with up to four properties as one table, numbers right-aligned', () => {
    const text = format(
      custom([
        ['Id', primitive('Int32', 7)],
        ['Name', primitive('String', 'seven')],
      ]),
      custom([
        ['Id', primitive('Int32', 1234)],
        ['Name', primitive('String', 'x')],
      ]),
    );
    expect(text).toBe('\n  Id Name\n  -- ----\n   7 seven\n1234 x\n\n');
  });

  it('writes objects with more properties as lists, nested values on one line', () => {
    const wide = custom([
      ['A', primitive('Int32', 1)],
      ['Bee', list(primitive('Int32', 1), primitive('Int32', 2))],
      ['C', null],
      ['D', new PSObject({ toStringText: 'nested', extendedProperties: [['X', primitive('Int32', 1)]] })],
      ['E', primitive('String', 'two\nlines')],
    ]);
    expect(format(wide)).toBe('\nA   : 1\nBee : {1, 2}\nC   : \nD   : nested\nE   : two\n      lines\n\n');
  });

  it('writes a dictionary as a Name/Value table and starts a new table when the type changes', () => {
    const dictionary = new PSObject({
      typeNames: ['System.Collections.Hashtable'],
      value: {
        kind: 'Dictionary',
        entries: [
          { key: primitive('String', 'k'), value: primitive('Int32', 1) },
          { key: primitive('String', 'long'), value: primitive('Int32', 22) },
        ],
      },
    });
    const other = new PSObject({ typeNames: ['Other'], extendedProperties: [['Id', primitive('Int32', 1)]] });
    expect(format(dictionary, other, primitive('String', 'end'))).toBe(
      '\nName Value\n---- -----\nk    1\nlong 22\n\nId\n--\n 1\n\nend\n',
    );
  });
});

describe('jsonText', () => {
  it('writes primitives as JSON scalars and objects by property, cutting cycles', () => {
    const cyclic = custom([['Name', primitive('String', 'me')]]);
    cyclic.extendedProperties.set('Self', cyclic);
    cyclic.toStringText = 'me!';
    expect(jsonText(cyclic)).toBe('{"Name":"me","Self":"me!"}');
    expect(jsonText(primitive('Int64', 2n ** 60n))).toBe('"1152921504606846976"');
    expect(jsonText(primitive('Double', Number.NaN))).toBe('"NaN"');
    expect(jsonText(list(primitive('Boolean', false), null))).toBe('[false,null]');
    expect(jsonText(psEnum('System.DayOfWeek', 'Thursday', 4))).toBe('4');
    expect(jsonText(primitive('DateTime', new PSDateTime(2026, 1, 2, 3, 4, 5, 6, 'Z')))).toBe(
      '"2026-01-02T03:04:05.0000006Z"',
    );
  });
});

describe('errorText', () => {
  const record = (activity: string, message: string) =>
    ({ message, category: { activity } }) as unknown as ErrorRecordInfo;

  it("prefixes the command, as PowerShell 7's concise view does", () => {
    expect(errorText(record('Get-Item', 'Cannot find path'))).toBe('Get-Item: Cannot find path');
    expect(errorText(record('', 'it broke'))).toBe('it broke');
  });
});
