import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { incompleteReason, isIncompleteInput } from './powershell-input';

/**
 * Input and whether PowerShell 7.6.9's own parser calls it incomplete: `Parser.ParseInput` reports a
 * ParseError with IncompleteInput set (the console host then continues with `>> `). Generated once by
 * running each snippet through the parser in pwsh; the scanner must agree on every one.
 */
const PARSER_VERDICTS: readonly (readonly [string, boolean])[] = [
  ['Get-Process', false],
  ['Get-Process |', true],
  ['Get-Process ||', true],
  ['a &&', true],
  ['if ($true) {', true],
  ['if ($true) { 1 }', false],
  ['(1 + 2', true],
  ['@(1,2', true],
  ['@{a=1', true],
  ['$a[0', true],
  ["'abc", true],
  ["'it''s", true],
  ["'it''s'", false],
  ['"abc', true],
  ['"a `" b', true],
  ['"a `" b"', false],
  ['"$(1 + "x")', true],
  ['"$(1 + "x"', true],
  ['"$(', true],
  ["@'\nline", true],
  ["@'\nline\n'@", false],
  ['@"', true],
  ['@"abc"', false],
  ['@"\n$(1)\n"@', false],
  ['@"\n text\n "@', true],
  ['<# comment', true],
  ['<# c #> 1', false],
  ['echo `', true],
  ['echo `\n', false],
  ['1 + `\n2', false],
  ['# {', false],
  ['echo a#{', true],
  ['echo a #{', false],
  ['${my var', true],
  ['${my var}', false],
  ['{ "}" }', false],
  ['{ "}"', true],
  ['}', false],
  [')', false],
  ['echo a,', true],
  ['function f', true],
  ['function f {', true],
  ['foreach ($i in 1..3) {', true],
  ['switch ($x) {', true],
  ['Get-Item `', true],
  ['[int', false],
  ['Write-Host ‘hi', true],
  ['Write-Host “hi', true],
  ['Write-Host “hi”', false],
  ['"a""b', true],
  ["'a''", true],
  ['echo "}"', false],
  ["echo '{'", false],
  ['$(', true],
  ['@', false],
  ['x |  # comment', true],
  ['x | <# c #>', true],
  ["'@", true],
  ['try {} catch', true],
  ['try {', true],
  ['&', false],
  ['x |\n', false],
  ['Get-ChildItem |\nWhere-Object {', true],
  ['"line1\nline2"', false],
  ["@'\n'@ not end\n", false],
  ['@" \nx\n"@', false],
  ["@'\n x\n '@", true],
  ['a\n}', false],
  ['{\n}\n}', false],
  ['$a = @"\nhello $name\n"@', false],
  ['"`$(" ', false],
  ['echo `{', false],
  ['$x = { $y = "{" }', false],
  ['"${a}"', false],
  ['"$("}")"', false],
  ['if ($true)', true],
  ['if ($true)\n', false],
  ['if ($true) { 1 } else', true],
  ['else', false],
  ['echo if', false],
  ['echo try', false],
  ['x | foreach', false],
  ['do', true],
  ['do { 1 }', true],
  ['do { 1 } while', true],
  ['do { 1 } while ($x)', false],
  ['try', true],
  ['try {} catch [Exception]', true],
  ['try {} finally', true],
  ['function f ($a)', true],
  ['function f\n', false],
  ['filter g', true],
  ['switch -regex ($x)', true],
  ['while ($true)', true],
  ['for ($i=0;$i -lt 1;$i++)', true],
  ['foreach ($i in 1)', true],
  ['trap', true],
  ['param(', true],
  ['echo =', false],
  ['x | foreach {', true],
  ['class A {', true],
  ['$a.', true],
  ['$a::', true],
  ['[int]::', true],
  ['$a = 1;', false],
  ['if ($x) {1} elseif', true],
  ['if ($x) {1} elseif ($y)', true],
  ['x;', false],
  ['$x = if', true],
  ['echo a;if ($x)', true],
  ['(if ($x)', true],
  ['{ if ($x) }', false],
  ['if ($x) { 1 }\nelse', true],
  ['x |\ny', false],
  ['a\n|', true],
  ['@{ a = 1\n b = 2 }', false],
  ['Get-Item -Path', false],
  ['x -', false],
  ['begin', true],
  ['x |;', false],
  ['cd ..', false],
  ['(1).', true],
  ['Get-ChildItem | ForEach-Object {\n  $_.Name\n}', false],
  ['$list = [System.Collections.Generic.List[string]]::new()', false],
  ['[System.Collections.Generic.List[string', true],
  ["'日本", true],
  ['echo 😀 |', true],
  ["@'\r\nx\r\n'@", false],
  ['Write-Host "tab`t" `\r\n  -NoNewline', false],
  ["switch ($x) { 1 { 'a' } }", false],
  ['function f { param($a) $a }', false],
  ['try { 1 } catch { 2 } finally { 3 }', false],
  ['do { $i++ } until ($i -gt 3)', false],
];

describe('isIncompleteInput', () => {
  it.each(PARSER_VERDICTS)('%j → incomplete %s, as PowerShell parses it', (text, incomplete) => {
    expect(isIncompleteInput(text)).toBe(incomplete);
  });

  it('names why input is unfinished', () => {
    expect(incompleteReason("'abc")).toBe('string');
    expect(incompleteReason('@"\nx')).toBe('here-string');
    expect(incompleteReason('<# note')).toBe('comment');
    expect(incompleteReason('Get-ChildItem | ForEach-Object {')).toBe('group');
    expect(incompleteReason('${my var')).toBe('variable');
    expect(incompleteReason('Get-Item `')).toBe('continuation');
    expect(incompleteReason('Get-Process |')).toBe('pipeline');
    expect(incompleteReason('if ($x)')).toBe('statement');
    expect(incompleteReason('$a.')).toBe('member');
    expect(incompleteReason('Get-Date')).toBeUndefined();
  });

  it('never throws, and a finished input stays finished with a comment line after it', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (text) => {
        const reason = incompleteReason(text);
        if (reason === undefined && !text.includes('`')) expect(incompleteReason(`${text}\n# done`)).toBeUndefined();
      }),
      { numRuns: 2000 },
    );
  });

  it('a closed block is finished however deeply it nests', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(['(', ')'], ['{', '}'], ['@(', ')'], ['$(', ')'], ['"$(', ')"']), { maxLength: 12 }),
        (pairs) => {
          const open = pairs.map(([opener]) => opener).join('1 ');
          const close = [...pairs]
            .reverse()
            .map(([, closer]) => closer)
            .join(' ');
          expect(isIncompleteInput(open)).toBe(pairs.length > 0);
          expect(isIncompleteInput(`${open} 1 ${close}`)).toBe(false);
        },
      ),
    );
  });
});
