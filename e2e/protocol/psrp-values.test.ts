import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  PSDateTime,
  PSObject,
  PSTimeSpan,
  PSVersion,
  isPrimitive,
  primitive,
  type PSPrimitive,
  type PSValue,
  type Serializable,
} from '../../core/psrp/clixml';
import { scriptPipeline, textOf } from '../../core/psrp/session';
import { PowerShellSession } from '../../main/session';
import {
  StaticTrustStore,
  StoreTrustPolicy,
  basicMechanism,
  parsePemCertificates,
  type WinRMTransportOptions,
} from '../../main/transport';

// CLIXML through the lab's real pwsh over WS-Man (Basic over HTTPS): every primitive sent as an argument
// comes back as output unchanged, and pwsh's own reading of it (its .NET type, its code units, ticks, bits)
// is what we meant; objects of Get-ChildItem and Get-Process deserialize with their properties.

const lab = inject('lab');
const [alice] = lab.accounts;

const transport: WinRMTransportOptions = {
  endpoint: lab.https_url,
  hostName: lab.host_name,
  mechanism: basicMechanism({ user: alice!.user, password: alice!.password }),
  tls: {
    trust: new StoreTrustPolicy(new StaticTrustStore({ caBundle: parsePemCertificates(readFileSync(lab.ca_bundle)) })),
  },
};

let session: PowerShellSession;
beforeAll(async () => {
  session = await PowerShellSession.open({ transport });
});
afterAll(() => session?.close());

/** Runs `script` with `args` as positional arguments; its output, failing on any error. */
async function run(script: string, ...args: Serializable[]): Promise<PSValue[]> {
  const output: PSValue[] = [];
  const errors: string[] = [];
  const pipeline = session.invoke(scriptPipeline(script, { arguments: args.map((value) => ({ value })) }), {
    onOutput: (value) => output.push(value),
    onError: (record) => errors.push(record.message),
  });
  const result = await pipeline.finished;
  expect(errors).toEqual([]);
  expect(result.state).toBe('Completed');
  return output;
}

/** UTF-16 code units as pwsh and JavaScript both see strings, in hex. */
const codeUnits = (text: string) => [...Array(text.length).keys()].map((i) => text.charCodeAt(i).toString(16));
const SERVER_CODE_UNITS = "($v.ToCharArray() | ForEach-Object { ([int]$_).ToString('x') }) -join ' '";

/** .NET ticks (100 ns since 0001-01-01 UTC) of an instant given to the millisecond plus extra ticks. */
const dotnetTicks = (isoMs: string, extraTicks: number) =>
  (BigInt(Date.parse(isoMs)) + 62_135_596_800_000n) * 10_000n + BigInt(extraTicks);

interface Case {
  readonly name: string;
  readonly value: PSPrimitive;
  /** The .NET type pwsh gives the argument. */
  readonly type: string;
  /** A PowerShell expression over `$v` and what it must print: how pwsh read the value. */
  readonly server?: readonly [expression: string, expected: string];
}

const text = (name: string, value: string): Case => ({
  name,
  value: primitive('String', value),
  type: 'System.String',
  server: [SERVER_CODE_UNITS, codeUnits(value).join(' ')],
});

const cases: Case[] = [
  text('emoji (surrogate pairs, ZWJ sequence, skin tone)', '😀 👩‍💻 👍🏽 🇺🇳'),
  text('CJK', '中文字符 日本語テキスト 한국어'),
  text('RTL with direction marks', 'שלום עולם مرحبا بالعالم \u200f\u202e'),
  text('control characters, NUL and DEL', '\u0000\u0001\u0007\b\t\n\u000b\f\r\u001b\u001f\u007f'),
  text('lone surrogates and non-characters', '\ud800 x \udfff \ufffe\uffff'),
  text('XML specials and a literal escape', `<a href="x">&amp;</a> ' _x0041_ _X00e9_`),
  text('empty', ''),
  { name: 'Char ☺', value: primitive('Char', 0x263a), type: 'System.Char', server: ['[int]$v', '9786'] },
  { name: 'Char NUL', value: primitive('Char', 0), type: 'System.Char', server: ['[int]$v', '0'] },
  { name: 'Boolean', value: primitive('Boolean', false), type: 'System.Boolean', server: ['-not $v', 'True'] },
  {
    name: 'DateTime UTC with 100 ns',
    value: primitive('DateTime', new PSDateTime(2024, 2, 29, 23, 59, 58, 1234567, 'Z')),
    type: 'System.DateTime',
    server: ['"$($v.Kind) $($v.Ticks)"', `Utc ${dotnetTicks('2024-02-29T23:59:58.123Z', 4567)}`],
  },
  {
    name: 'DateTime unspecified kind',
    value: primitive('DateTime', new PSDateTime(1, 1, 1, 0, 0, 0, 1, null)),
    type: 'System.DateTime',
    server: ['"$($v.Kind) $($v.Ticks)"', 'Unspecified 1'],
  },
  {
    name: 'TimeSpan, negative with 100 ns',
    value: primitive('TimeSpan', new PSTimeSpan(-(10n ** 12n + 5n))),
    type: 'System.TimeSpan',
    server: ['$v.Ticks', '-1000000000005'],
  },
  {
    name: 'TimeSpan.MaxValue',
    value: primitive('TimeSpan', new PSTimeSpan(2n ** 63n - 1n)),
    type: 'System.TimeSpan',
    server: ['$v -eq [TimeSpan]::MaxValue', 'True'],
  },
  {
    name: 'Guid',
    value: primitive('Guid', '0f8fad5b-d9cb-469f-a165-70867728950e'),
    type: 'System.Guid',
    server: ["$v.ToByteArray()[0..3] -join ','", '91,173,143,15'],
  },
  {
    name: 'Uri with unicode and a query',
    value: primitive('Uri', 'https://例え.jp/パス?q=a+b&r=ü#frag'),
    type: 'System.Uri',
    server: ['"$($v.Host)|$($v.Fragment)"', '例え.jp|#frag'],
  },
  {
    name: 'Version with four parts',
    value: primitive('Version', new PSVersion(1, 2, 3, 2147483647)),
    type: 'System.Version',
    server: ['$v.Revision', '2147483647'],
  },
  {
    name: 'Version with two parts',
    value: primitive('Version', new PSVersion(10, 0)),
    type: 'System.Version',
    server: ['$v.Build', '-1'],
  },
  {
    name: 'byte[] of every byte',
    value: primitive(
      'ByteArray',
      Uint8Array.from({ length: 256 }, (_, i) => i),
    ),
    type: 'System.Byte[]',
    server: ['"$($v.Length) $($v[0]) $($v[255])"', '256 0 255'],
  },
  {
    name: 'decimal, largest',
    value: primitive('Decimal', '79228162514264337593543950335'),
    type: 'System.Decimal',
    server: ['$v -eq [decimal]::MaxValue', 'True'],
  },
  {
    name: 'decimal, smallest fraction',
    value: primitive('Decimal', '-0.0000000000000000000000000001'),
    type: 'System.Decimal',
    server: ['$v.ToString([cultureinfo]::InvariantCulture)', '-0.0000000000000000000000000001'],
  },
  {
    name: 'Int64.MinValue',
    value: primitive('Int64', -(2n ** 63n)),
    type: 'System.Int64',
    server: ['$v -eq [long]::MinValue', 'True'],
  },
  {
    name: 'Int64.MaxValue',
    value: primitive('Int64', 2n ** 63n - 1n),
    type: 'System.Int64',
    server: ['$v -eq [long]::MaxValue', 'True'],
  },
  {
    name: 'UInt64.MaxValue',
    value: primitive('UInt64', 2n ** 64n - 1n),
    type: 'System.UInt64',
    server: ['$v -eq [ulong]::MaxValue', 'True'],
  },
  {
    name: 'double NaN',
    value: primitive('Double', Number.NaN),
    type: 'System.Double',
    server: ['[double]::IsNaN($v)', 'True'],
  },
  {
    name: 'double +Infinity',
    value: primitive('Double', Number.POSITIVE_INFINITY),
    type: 'System.Double',
    server: ['[double]::IsPositiveInfinity($v)', 'True'],
  },
  {
    name: 'double -Infinity',
    value: primitive('Double', Number.NEGATIVE_INFINITY),
    type: 'System.Double',
    server: ['[double]::IsNegativeInfinity($v)', 'True'],
  },
  {
    name: 'double, smallest subnormal',
    value: primitive('Double', 5e-324),
    type: 'System.Double',
    server: ['[BitConverter]::DoubleToInt64Bits($v)', '1'],
  },
  {
    name: 'double -0',
    value: primitive('Double', -0),
    type: 'System.Double',
    server: ['[BitConverter]::DoubleToInt64Bits($v) -eq [long]::MinValue', 'True'],
  },
  {
    name: 'single NaN',
    value: primitive('Single', Number.NaN),
    type: 'System.Single',
    server: ['[single]::IsNaN($v)', 'True'],
  },
  { name: 'SByte', value: primitive('SByte', -128), type: 'System.SByte', server: ['$v', '-128'] },
  { name: 'UInt16', value: primitive('UInt16', 65535), type: 'System.UInt16', server: ['$v', '65535'] },
  { name: 'UInt32', value: primitive('UInt32', 4294967295), type: 'System.UInt32', server: ['$v', '4294967295'] },
];

describe('CLIXML primitives round-trip through pwsh over WS-Man', () => {
  it.each(cases)('$name', async ({ value, type, server }) => {
    const [echoed, typeName, reading] = await run(
      `param($v) Write-Output -NoEnumerate -InputObject $v; $v.GetType().FullName; "$(${server?.[0] ?? ''})"`,
      value,
    );
    expect(echoed).toEqual(value);
    expect(textOf(typeName ?? null)).toBe(type);
    expect(textOf(reading ?? null)).toBe(server?.[1] ?? '');
  });

  it('keeps the instant and the 100 ns of a DateTime with an offset (pwsh converts it to its own zone)', async () => {
    const sent = new PSDateTime(2024, 2, 29, 23, 59, 58, 1234567, 330);
    const [echoed, utc] = await run(
      "param($v) Write-Output -NoEnumerate -InputObject $v; $v.ToUniversalTime().ToString('o')",
      primitive('DateTime', sent),
    );
    expect(textOf(utc ?? null)).toBe('2024-02-29T18:29:58.1234567Z');
    const back = isPrimitive(echoed) && echoed.kind === 'DateTime' ? echoed.value : undefined;
    expect(back?.toDate()).toEqual(sent.toDate());
    expect(back?.fractionTicks).toBe(1234567);
    expect(typeof back?.offset).toBe('number'); // a Local DateTime, written with the server's offset
  });

  it('round-trips nested hashtables and lists', async () => {
    const sent = new Map<Serializable, Serializable>([
      ['name', 'outer ✓'],
      ['list', [1, 'two', [3n, null], new Map([['deep', true]])]],
      ['inner', new Map<Serializable, Serializable>([['k', 'v']])],
      [42, 'integer key'],
    ]);
    const [echoed, description] = await run(
      'param($v) Write-Output -NoEnumerate -InputObject $v; "$($v.list[2][0].GetType().Name) $($v.list[3].deep) $($v.inner.k) $($v[42])"',
      sent,
    );
    expect(textOf(description ?? null)).toBe('Int64 True v integer key');
    expect(plain(echoed ?? null)).toEqual(plain(sent));
  });
});

/**
 * A comparable form of a value: dictionaries as [key, value] pairs sorted by key (a Hashtable has no order),
 * lists as arrays, primitives as their value; type names are dropped (pwsh writes its own).
 */
function plain(value: Serializable): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'object') return value;
  if (isPrimitive(value)) return value.value;
  if (Array.isArray(value)) return value.map(plain);
  if (value instanceof Map) return sortedPairs([...value].map(([k, v]) => [plain(k), plain(v)]));
  if (!(value instanceof PSObject)) throw new Error('unexpected value');
  const base = value.value;
  if (base === undefined) throw new Error(`an object without a base value: ${value.typeNames.join(', ')}`);
  if (base.kind === 'Dictionary') return sortedPairs(base.entries.map((e) => [plain(e.key), plain(e.value)]));
  if (base.kind === 'List' || base.kind === 'Enumerable' || base.kind === 'Stack' || base.kind === 'Queue') {
    return base.items.map(plain);
  }
  if (base.kind === 'BaseObject') return plain(base.object);
  return base.value;
}

const sortedPairs = (pairs: [unknown, unknown][]) =>
  pairs.sort(([a], [b]) => String(a).localeCompare(String(b), 'en')).map(([k, v]) => [k, v]);

describe('objects of real cmdlets deserialize with their properties', () => {
  const property = (object: PSValue | undefined, name: string) =>
    object instanceof PSObject ? object.property(name) : undefined;

  it('Get-ChildItem: files and directories with Name, Length and LastWriteTime', async () => {
    const script = [
      '$d = New-Item -ItemType Directory -Path (Join-Path ([IO.Path]::GetTempPath()) ([guid]::NewGuid()))',
      "Set-Content -Path (Join-Path $d 'a.txt') -Value 'hello' -NoNewline",
      "(Get-Item (Join-Path $d 'a.txt')).LastWriteTimeUtc = [datetime]::new(2020, 1, 2, 3, 4, 5, [DateTimeKind]::Utc).AddTicks(1234567)",
      "$null = New-Item -ItemType Directory -Path (Join-Path $d 'sub')",
      'try { Get-ChildItem $d | Sort-Object Name } finally { Remove-Item -Recurse -Force $d }',
    ].join('\n');
    const [file, directory] = await run(script);
    expect(file instanceof PSObject && file.isInstanceOf('System.IO.FileInfo')).toBe(true);
    expect(directory instanceof PSObject && directory.isInstanceOf('System.IO.DirectoryInfo')).toBe(true);
    expect(property(file, 'Name')).toEqual(primitive('String', 'a.txt'));
    expect(property(file, 'Length')).toEqual(primitive('Int64', 5n));
    expect(property(file, 'LastWriteTimeUtc')).toEqual(
      primitive('DateTime', new PSDateTime(2020, 1, 2, 3, 4, 5, 1234567, 'Z')),
    );
    const local = property(file, 'LastWriteTime');
    expect(isPrimitive(local) && local.kind === 'DateTime' && local.value.toDate()).toEqual(
      new Date(Date.UTC(2020, 0, 2, 3, 4, 5, 123)),
    );
    expect(property(directory, 'Name')).toEqual(primitive('String', 'sub'));

    const home = await run('Get-ChildItem -Force $HOME | Select-Object -First 20');
    expect(home.length).toBeGreaterThan(0);
    for (const item of home) {
      expect(
        item instanceof PSObject &&
          (item.isInstanceOf('System.IO.FileInfo') || item.isInstanceOf('System.IO.DirectoryInfo')),
      ).toBe(true);
      expect(textOf(property(item, 'Name') ?? null)).not.toBe('');
      expect((property(item, 'LastWriteTime') as PSPrimitive | undefined)?.kind).toBe('DateTime');
    }
  });

  it('Get-Process -Id $PID: Id, ProcessName and more', async () => {
    // The lab's pwsh may run as `dotnet` (a .NET tool), so the expected name is the server's own.
    const [processId, processName, process] = await run(
      '$PID; [Diagnostics.Process]::GetCurrentProcess().ProcessName; Get-Process -Id $PID',
    );
    expect(process instanceof PSObject && process.isInstanceOf('System.Diagnostics.Process')).toBe(true);
    expect(property(process, 'Id')).toEqual(processId);
    expect(property(process, 'ProcessName')).toEqual(processName);
    expect(textOf(processName ?? null)).toMatch(/^(pwsh|dotnet)$/);
    expect((property(process, 'StartTime') as PSPrimitive | undefined)?.kind).toBe('DateTime');
    expect((property(process, 'WorkingSet64') as PSPrimitive | undefined)?.kind).toBe('Int64');
  });
});
