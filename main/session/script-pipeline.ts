import { scriptPipeline, type CommandArgument, type PipelineSpec } from '../../core/psrp/session';

/** A command name: `Get-Date`, `dir`, or module-qualified `Microsoft.PowerShell.Utility\Get-Date`. */
const COMMAND_NAME = /^[A-Za-z_][\w.-]*(?:\\[A-Za-z_][\w-]*)?$/;
/** Characters that make a bare word more than a literal in PowerShell (variables, expressions, operators…). */
const SYNTAX = /[$@(){}[\];|&<>`"',#=]/;

/**
 * The pipeline for `script`. A script that is one simple command — a name, literal words and quoted strings,
 * `-Parameter` names — is sent as that command rather than as script text, as PowerShell's Invoke-Command
 * does with such a script block: a no-language endpoint (JEA) accepts only commands, while a script, even
 * `Get-Date`, is refused there. Without the command's parameter metadata, `-Name word` is read as a named
 * value and `-Name` before another `-Name` or at the end as a switch (`-Name:word` is always a value).
 */
export function pipelineForScript(script: string): PipelineSpec {
  const words = simpleWords(script.trim());
  const [command, ...rest] = words ?? [];
  if (command === undefined || command.quoted || !COMMAND_NAME.test(command.text)) return scriptPipeline(script);
  const args: CommandArgument[] = [];
  for (let index = 0; index < rest.length; index++) {
    const word = rest[index]!;
    const name = parameterName(word);
    if (name === undefined) {
      args.push({ value: word.text });
      continue;
    }
    const attached = word.text.indexOf(':');
    const next = rest[index + 1];
    if (attached !== -1) args.push({ name, value: word.text.slice(attached + 1) });
    else if (next === undefined || parameterName(next) !== undefined) args.push({ name });
    else {
      args.push({ name, value: next.text });
      index++;
    }
  }
  return { statements: [[{ command: command.text, arguments: args }]] };
}

function parameterName(word: Word): string | undefined {
  return word.quoted ? undefined : /^-([A-Za-z_]\w*)(?::|$)/.exec(word.text)?.[1];
}

interface Word {
  readonly text: string;
  readonly quoted: boolean;
}

/** Whitespace-separated words with '…' (and '' for a quote) or "…" without `$` or backtick; else undefined. */
function simpleWords(text: string): Word[] | undefined {
  const words: Word[] = [];
  let index = 0;
  while (index < text.length) {
    if (/\s/.test(text[index]!)) {
      index++;
      continue;
    }
    const quote = text[index];
    if (quote === "'" || quote === '"') {
      let value = '';
      index++;
      for (;;) {
        const char = text[index];
        if (char === undefined) return undefined;
        if (char === quote && text[index + 1] === quote && quote === "'") {
          value += quote;
          index += 2;
        } else if (char === quote) {
          index++;
          break;
        } else if (quote === '"' && (char === '$' || char === '`')) {
          return undefined;
        } else {
          value += char;
          index++;
        }
      }
      if (index < text.length && !/\s/.test(text[index]!)) return undefined;
      words.push({ text: value, quoted: true });
      continue;
    }
    const end = text.slice(index).search(/\s/);
    const word = end === -1 ? text.slice(index) : text.slice(index, index + end);
    if (SYNTAX.test(word)) return undefined;
    words.push({ text: word, quoted: false });
    index += word.length;
  }
  return words;
}
