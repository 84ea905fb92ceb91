/**
 * Whether PowerShell input typed at the prompt is finished, so Enter runs it, or unfinished, so Enter
 * continues it on a `>> ` line as PowerShell's console host does. A small scanner, good enough for that
 * decision only: it tracks quotes, here-strings, comments, brackets, line continuations, and the
 * statements that still lack their body (`if (…)`, `try`, `function f`, a trailing pipe). Anything it
 * cannot place is treated as finished: the remote parser then reports the error.
 */

export type IncompleteReason =
  /** An unterminated quoted string. */
  | 'string'
  | 'here-string'
  /** An unterminated `<# … #>` comment. */
  | 'comment'
  /** An unclosed `(`, `{`, index `[`, `$(`, `@(` or `@{`. */
  | 'group'
  /** An unterminated `${…}` variable name. */
  | 'variable'
  /** A backtick as the very last character. */
  | 'continuation'
  /** The line ends with `|`, `||`, `&&` or `,`. */
  | 'pipeline'
  /** A keyword statement still missing its body or condition. */
  | 'statement'
  /** The line ends with `.` or `::` after an expression. */
  | 'member';

const SINGLE_QUOTES: ReadonlySet<string> = new Set(["'", '\u2018', '\u2019', '\u201a', '\u201b']);
const DOUBLE_QUOTES: ReadonlySet<string> = new Set(['"', '\u201c', '\u201d', '\u201e']);
const HORIZONTAL_SPACE: ReadonlySet<string> = new Set([' ', '\t', '\f', '\v', '\u00a0']);
/** Characters that end a bare word in code. */
const WORD_BREAKS: ReadonlySet<string> = new Set(['(', ')', '{', '}', '[', ']', ';', ',', '|', '&', '\n', '\r']);
const PIPELINE_OPERATORS: ReadonlySet<string> = new Set(['|', '||', '&&', ',']);
const CONDITION_KEYWORDS: ReadonlySet<string> = new Set(['if', 'elseif', 'while', 'until', 'for', 'foreach', 'switch']);
const BODY_KEYWORDS: ReadonlySet<string> = new Set([
  'try',
  'finally',
  'else',
  'do',
  'trap',
  'begin',
  'process',
  'end',
  'clean',
  'dynamicparam',
]);
/** Keywords that only continue a statement ended by a block (`} else`, `} catch`…). */
const CONTINUATION_KEYWORDS: ReadonlySet<string> = new Set(['else', 'elseif', 'catch', 'finally']);
const FUNCTION_KEYWORDS: ReadonlySet<string> = new Set(['function', 'filter', 'workflow', 'configuration']);
const ASSIGNMENT = /^(?:[-+*/%]|\?\?)?=$/;

/** A statement's parts at one nesting level: bare words, operators, and closed groups as single tokens. */
type Token =
  | { readonly kind: 'word'; readonly text: string; readonly attached: boolean }
  | { readonly kind: 'operator'; readonly text: string }
  | { readonly kind: 'group' | 'block' | 'type' | 'value' };

interface CodeFrame {
  readonly kind: 'code';
  /** The bracket that closes this frame; undefined for the input as a whole. */
  readonly closer: ')' | '}' | ']' | undefined;
  /** What the frame becomes in its parent's statement once closed. */
  readonly closesAs: 'group' | 'block' | 'type' | 'value';
  /** The tokens of the statement being scanned (since the last newline or `;`). */
  statement: Token[];
}
type Frame = CodeFrame | { readonly kind: 'string' };

function codeFrame(closer: CodeFrame['closer'], closesAs: CodeFrame['closesAs']): CodeFrame {
  return { kind: 'code', closer, closesAs, statement: [] };
}

export function isIncompleteInput(text: string): boolean {
  return incompleteReason(text) !== undefined;
}

/** Why `text` cannot run yet, or undefined when it is finished (or broken beyond repair by more lines). */
export function incompleteReason(text: string): IncompleteReason | undefined {
  const frames: Frame[] = [codeFrame(undefined, 'group')];
  /** No whitespace between the previous token and the next one. */
  let attached = false;
  let index = 0;

  const top = (): Frame => frames[frames.length - 1] as Frame;
  const push = (token: Token): void => {
    const frame = top();
    if (frame.kind === 'code') frame.statement.push(token);
    attached = true;
  };

  while (index < text.length) {
    const frame = top();
    const char = text[index] as string;
    const next = text[index + 1];

    if (frame.kind === 'string') {
      if (char === '`') index += 2;
      else if (DOUBLE_QUOTES.has(char)) {
        if (next !== undefined && DOUBLE_QUOTES.has(next)) index += 2;
        else {
          frames.pop();
          index += 1;
          push({ kind: 'value' });
        }
      } else if (char === '$' && next === '(') {
        frames.push(codeFrame(')', 'value'));
        index += 2;
      } else if (char === '$' && next === '{') {
        const end = bracedVariableEnd(text, index + 2);
        if (end === undefined) return 'variable';
        index = end;
      } else index += 1;
      continue;
    }

    if (HORIZONTAL_SPACE.has(char)) {
      index += 1;
      attached = false;
      continue;
    }
    if (char === '\n' || char === '\r') {
      index += 1;
      attached = false;
      // A statement ends at a newline; a block it ended with still lets `else`, `catch`… follow on the next line.
      frame.statement = frame.statement.at(-1)?.kind === 'block' ? [{ kind: 'block' }] : [];
      continue;
    }
    if (char === '`') {
      if (next === undefined) return 'continuation';
      if (next === '\n' || next === '\r') {
        index += next === '\r' && text[index + 2] === '\n' ? 3 : 2;
        attached = false;
        continue;
      }
    }
    if (char === '#') {
      while (index < text.length && text[index] !== '\n' && text[index] !== '\r') index += 1;
      continue;
    }
    if (char === '<' && next === '#') {
      const end = text.indexOf('#>', index + 2);
      if (end < 0) return 'comment';
      index = end + 2;
      continue;
    }
    if (SINGLE_QUOTES.has(char)) {
      const end = singleQuotedEnd(text, index + 1);
      if (end === undefined) return 'string';
      index = end;
      push({ kind: 'value' });
      continue;
    }
    if (DOUBLE_QUOTES.has(char)) {
      frames.push({ kind: 'string' });
      index += 1;
      continue;
    }
    if (char === '@' && next !== undefined && (SINGLE_QUOTES.has(next) || DOUBLE_QUOTES.has(next))) {
      const header = hereStringBodyStart(text, index + 2);
      if (header === 'end') return 'here-string';
      if (header !== undefined) {
        const end = hereStringEnd(text, header, SINGLE_QUOTES.has(next) ? SINGLE_QUOTES : DOUBLE_QUOTES);
        if (end === undefined) return 'here-string';
        index = end;
        push({ kind: 'value' });
        continue;
      }
    }
    if ((char === '$' || char === '@') && next === '(') {
      frames.push(codeFrame(')', 'group'));
      index += 2;
      continue;
    }
    if (char === '@' && next === '{') {
      frames.push(codeFrame('}', 'block'));
      index += 2;
      continue;
    }
    if (char === '$' && next === '{') {
      const end = bracedVariableEnd(text, index + 2);
      if (end === undefined) return 'variable';
      index = end;
      push({ kind: 'value' });
      continue;
    }
    if (char === '(' || char === '{') {
      frames.push(char === '(' ? codeFrame(')', 'group') : codeFrame('}', 'block'));
      index += 1;
      attached = false;
      continue;
    }
    if (char === '[') {
      // `$a[0` indexes and `[List[string` nests a generic argument (both unfinished when open); `[int` at a
      // token start is a type literal, a plain error when left open.
      frames.push(codeFrame(']', attached || frame.closesAs === 'type' ? 'value' : 'type'));
      index += 1;
      attached = false;
      continue;
    }
    if (char === ')' || char === '}' || char === ']') {
      // A stray closer is a syntax error more lines cannot fix.
      if (frame.closer !== char) return undefined;
      frames.pop();
      index += 1;
      push({ kind: frame.closesAs });
      continue;
    }
    if (char === ';') {
      frame.statement = [];
      index += 1;
      attached = false;
      continue;
    }
    if (char === '|' || char === '&' || char === ',') {
      const doubled = (char === '|' || char === '&') && next === char;
      const operator = doubled ? char + char : char;
      index += operator.length;
      push(operator === '&' ? { kind: 'word', text: '&', attached } : { kind: 'operator', text: operator });
      attached = false;
      continue;
    }

    const wordStart = index;
    while (index < text.length) {
      const c = text[index] as string;
      if (c === '`') {
        const escaped = text[index + 1];
        if (escaped === undefined) return 'continuation';
        if (escaped === '\n' || escaped === '\r') break;
        index += 2;
        continue;
      }
      if (WORD_BREAKS.has(c) || HORIZONTAL_SPACE.has(c) || SINGLE_QUOTES.has(c) || DOUBLE_QUOTES.has(c)) break;
      index += 1;
    }
    push({ kind: 'word', text: text.slice(wordStart, index), attached });
  }

  const innermost = top();
  if (innermost.kind === 'string') return 'string';
  if (innermost.closer !== undefined) return innermost.closesAs === 'type' ? undefined : 'group';
  return unfinishedStatement(innermost.statement);
}

function unfinishedStatement(statement: readonly Token[]): IncompleteReason | undefined {
  const last = statement.at(-1);
  if (last === undefined) return undefined;
  if (last.kind === 'operator') return PIPELINE_OPERATORS.has(last.text) ? 'pipeline' : undefined;
  if (last.kind === 'word' && /(?:\.|::)$/.test(last.text) && (last.attached || /^\$\w/.test(last.text))) {
    return 'member';
  }

  // Find the keyword that starts the statement's last clause: at index 0, after an assignment, or after a block.
  let start = statement.length - 1;
  while (start > 0) {
    const before = statement[start - 1] as Token;
    if (before.kind === 'block' || (before.kind === 'word' && ASSIGNMENT.test(before.text))) break;
    start -= 1;
  }
  const clause = statement.slice(start);
  const keyword = clause[0]?.kind === 'word' ? clause[0].text.toLowerCase() : undefined;
  if (keyword === undefined) return undefined;
  const afterBlock = statement[start - 1]?.kind === 'block';
  const rest = clause.slice(1);
  const restIs = (...kinds: Token['kind'][]) =>
    rest.length === kinds.length && rest.every((token, i) => token.kind === kinds[i]);
  const switchParameters = rest.filter((token) => token.kind === 'word' && token.text.startsWith('-')).length;

  if (CONDITION_KEYWORDS.has(keyword)) {
    const isDoCondition = (keyword === 'while' || keyword === 'until') && statementStartsWith(statement, 'do');
    if (rest.length === 0) return 'statement';
    if (!isDoCondition && rest.length === switchParameters + 1 && rest.at(-1)?.kind === 'group') return 'statement';
    if (keyword === 'switch' && rest.length === switchParameters) return 'statement';
    return undefined;
  }
  if (CONTINUATION_KEYWORDS.has(keyword) && !afterBlock) return undefined;
  if (BODY_KEYWORDS.has(keyword)) {
    if (rest.length === 0) return 'statement';
    // `do { … }` still needs its `while (…)` or `until (…)`.
    if (keyword === 'do') return restIs('block') ? 'statement' : undefined;
    return keyword === 'trap' && rest.every((token) => token.kind === 'type') ? 'statement' : undefined;
  }
  if (keyword === 'catch') return rest.every((token) => token.kind === 'type') ? 'statement' : undefined;
  if (FUNCTION_KEYWORDS.has(keyword)) return restIs('word') || restIs('word', 'group') ? 'statement' : undefined;
  return undefined;
}

function statementStartsWith(statement: readonly Token[], keyword: string): boolean {
  const first = statement[0];
  return first?.kind === 'word' && first.text.toLowerCase() === keyword;
}

/** Index after the quote closing a single-quoted string whose body starts at `from` (`''` is a quote inside). */
function singleQuotedEnd(text: string, from: number): number | undefined {
  let index = from;
  while (index < text.length) {
    if (SINGLE_QUOTES.has(text[index] as string)) {
      if (SINGLE_QUOTES.has(text[index + 1] ?? '')) index += 2;
      else return index + 1;
    } else index += 1;
  }
  return undefined;
}

/** Index after the `}` closing a `${…}` name whose body starts at `from` (a backtick escapes a character). */
function bracedVariableEnd(text: string, from: number): number | undefined {
  for (let index = from; index < text.length; index += 1) {
    if (text[index] === '`') index += 1;
    else if (text[index] === '}') return index + 1;
  }
  return undefined;
}

/**
 * After `@'` or `@"`: the index where the here-string body begins (past the header's line break), 'end'
 * when the input stops on the header line, or undefined when other characters follow on that line (then
 * it is no here-string).
 */
function hereStringBodyStart(text: string, from: number): number | 'end' | undefined {
  let index = from;
  while (index < text.length && HORIZONTAL_SPACE.has(text[index] as string)) index += 1;
  if (index === text.length) return 'end';
  if (text[index] === '\n') return index + 1;
  if (text[index] === '\r') return text[index + 1] === '\n' ? index + 2 : index + 1;
  return undefined;
}

/** Index after the footer (`'@` or `"@` at the very start of a line) closing a here-string body. */
function hereStringEnd(text: string, bodyStart: number, quotes: ReadonlySet<string>): number | undefined {
  let lineStart = bodyStart;
  while (lineStart < text.length) {
    if (quotes.has(text[lineStart] as string) && text[lineStart + 1] === '@') return lineStart + 2;
    const lineEnd = text.indexOf('\n', lineStart);
    if (lineEnd < 0) return undefined;
    lineStart = lineEnd + 1;
  }
  return undefined;
}
