import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseYaml } from './capture-yaml';
import { CAPTURES_DIRECTORY, readCapture } from './captures';

const files = readdirSync(CAPTURES_DIRECTORY)
  .filter((name) => name.endsWith('.yml'))
  .sort();

describe('capture YAML reader', () => {
  it('finds all 48 recorded scenarios', () => {
    expect(files).toHaveLength(48);
  });

  it('reads every capture exactly as PyYAML does', () => {
    const script = [
      'import json, sys, yaml',
      'print(json.dumps({f: yaml.safe_load(open(sys.argv[1] + f, encoding="utf-8")) for f in sys.argv[2:]}))',
    ].join('\n');
    const python = spawnSync('/usr/bin/python3', ['-c', script, fileURLToPath(CAPTURES_DIRECTORY), ...files], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    expect(python.status, python.stderr).toBe(0);
    const expected = JSON.parse(python.stdout) as Record<string, unknown>;
    for (const file of files) {
      expect(parseYaml(readFileSync(new URL(file, CAPTURES_DIRECTORY), 'utf8')), file).toEqual(expected[file]);
    }
  });

  it('folds plain scalars, unquotes single-quoted ones and reads nested blocks', () => {
    const yaml = [
      '# comment',
      'messages:',
      '- request: <a b="1"',
      '    c="2"/>',
      "  response: 'it''s",
      "    folded'",
      '  transport_error:',
      '    protocol: http',
      '    code: 500',
      '  overrides:',
      '  - path: s:Body',
      '    attributes:',
      '      CommandId: ABC',
      '- request: <x/>',
      '  response: null',
      '  http_error: true',
    ].join('\n');
    expect(readCapture(yaml)).toEqual([
      {
        request: '<a b="1" c="2"/>',
        response: "it's folded",
        httpStatus: 500,
        overrides: [{ path: 's:Body', attributes: { CommandId: 'ABC' } }],
      },
      { request: '<x/>', response: undefined, httpStatus: undefined, overrides: [] },
    ]);
  });

  it('refuses YAML outside the subset instead of misreading it', () => {
    expect(() => parseYaml('key: "double quoted"')).toThrow(/unsupported scalar/);
    expect(() => parseYaml("key: 'never closed")).toThrow(/unterminated/);
    expect(() => parseYaml('key: {flow: mapping}')).toThrow(/unsupported scalar/);
    expect(() => parseYaml('key: |\n  block literal')).toThrow(/unsupported scalar/);
    expect(() => parseYaml('a: 1\nnot a key\n')).toThrow(/expected a key/);
  });
});
