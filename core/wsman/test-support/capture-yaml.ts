/**
 * Test-only reader for the YAML subset of the recorded captures (captures/README.md): block mappings
 * and sequences, plain scalars folded over several lines, single-quoted scalars, comments, null,
 * booleans and integers. Anything else throws, so a capture in another shape is noticed, and a test
 * compares this reader with PyYAML on every capture file.
 */
export type YamlValue = string | number | boolean | null | YamlValue[] | { [key: string]: YamlValue };

interface Line {
  readonly indent: number;
  readonly text: string;
  readonly number: number;
}

export function parseYaml(source: string): YamlValue {
  const lines: Line[] = [];
  source.split('\n').forEach((raw, index) => {
    const text = raw.replace(/\s+$/, '');
    const trimmed = text.trimStart();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    lines.push({ indent: text.length - trimmed.length, text: trimmed, number: index + 1 });
  });
  const reader = new BlockReader(lines);
  const value = reader.block(0);
  reader.expectEnd();
  return value;
}

class BlockReader {
  #index = 0;

  constructor(private readonly lines: Line[]) {}

  expectEnd(): void {
    const line = this.lines[this.#index];
    if (line !== undefined) throw new Error(`capture YAML: unexpected content at line ${line.number}`);
  }

  block(indent: number): YamlValue {
    const first = this.lines[this.#index];
    if (first === undefined || first.indent < indent) return null;
    return first.text.startsWith('- ') || first.text === '-'
      ? this.#sequence(first.indent)
      : this.#mapping(first.indent);
  }

  #sequence(indent: number): YamlValue[] {
    const items: YamlValue[] = [];
    for (let line = this.lines[this.#index]; line?.indent === indent && line.text.startsWith('- ');) {
      // The item's first entry shares the dash's line: read it as if the dash were indentation.
      this.lines[this.#index] = { indent: indent + 2, text: line.text.slice(2).trimStart(), number: line.number };
      items.push(this.block(indent + 2));
      line = this.lines[this.#index];
    }
    return items;
  }

  #mapping(indent: number): { [key: string]: YamlValue } {
    const mapping: { [key: string]: YamlValue } = {};
    for (let line = this.lines[this.#index]; line?.indent === indent && !line.text.startsWith('- ');) {
      const match = /^([A-Za-z_][\w-]*):(?: (.*))?$/.exec(line.text);
      if (match === null) throw new Error(`capture YAML: expected a key at line ${line.number}`);
      const [, key, rest] = match as unknown as [string, string, string | undefined];
      this.#index++;
      if (rest === undefined || rest === '') {
        const next = this.lines[this.#index];
        // A sequence may sit at its key's own indentation.
        const nestedIndent = next?.indent === indent && next.text.startsWith('- ') ? indent : indent + 1;
        mapping[key] = this.block(nestedIndent);
      } else {
        mapping[key] = rest.startsWith("'") ? this.#singleQuoted(rest, indent) : this.#plain(rest, indent);
      }
      line = this.lines[this.#index];
    }
    return mapping;
  }

  /** Continuation lines are those indented deeper than the key; line breaks fold into spaces. */
  #continuation(indent: number): string[] {
    const parts: string[] = [];
    for (let line = this.lines[this.#index]; line !== undefined && line.indent > indent;) {
      parts.push(line.text);
      this.#index++;
      line = this.lines[this.#index];
    }
    return parts;
  }

  #plain(first: string, indent: number): YamlValue {
    const text = [first, ...this.#continuation(indent)].join(' ');
    if (text === 'null' || text === '~') return null;
    if (text === 'true' || text === 'false') return text === 'true';
    if (/^-?\d+$/.test(text)) return Number(text);
    if (/^["&*!{[|>]/.test(text)) {
      throw new Error(`capture YAML: unsupported scalar ${text.slice(0, 20)}`);
    }
    return text;
  }

  #singleQuoted(first: string, indent: number): string {
    let text = first;
    const closed = () => /^'(?:[^']|'')*'$/.test(text);
    while (!closed()) {
      const next = this.lines[this.#index];
      if (next === undefined || next.indent <= indent) throw new Error('capture YAML: unterminated quoted scalar');
      text += ` ${next.text}`;
      this.#index++;
    }
    return text.slice(1, -1).replace(/''/g, "'");
  }
}
