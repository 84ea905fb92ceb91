import { isPrimitive, PSObject, type PSValue } from '../../core/psrp/clixml';
import { textOf, type PipelineSpec } from '../../core/psrp/session';
import type { PowerShellSession } from './powershell-session';
import { pipelineForScript } from './script-pipeline';

/**
 * What an interactive PowerShell console runs besides the user's lines, as Enter-PSSession does: the line
 * followed by Out-Default (the server formats with its own format data and writes through our host UI),
 * the server's `prompt` function, and TabExpansion2. Shared by the CLI shell and the app's sessions.
 */

/** Runs the line's statement(s) and then Out-Default, which formats and writes through the host UI. */
export function withOutDefault(spec: PipelineSpec): PipelineSpec {
  return {
    ...spec,
    addToHistory: true,
    statements: spec.statements.map((statement) => [
      ...statement.map((command) => ({ ...command, mergeToOutput: ['error' as const] })),
      { command: 'Out-Default' },
    ]),
  };
}

/** `[host]: PS C:\Users\alice> ` from the server's prompt function (PowerShell's default when it has none). */
export async function remotePrompt(session: PowerShellSession, hostLabel: string): Promise<string> {
  let text = 'PS> ';
  const pipeline = session.invoke(pipelineForScript('prompt'), {
    onOutput: (value) => (text = textOf(value)),
    onHostCall: (call) => (call.expectsAnswer ? session.declineHostCall(call) : undefined),
  });
  await pipeline.finished.catch(() => undefined);
  return `[${hostLabel}]: ${text}`;
}

export interface TabCompletion {
  /** UTF-16 offset of the text the matches replace. */
  readonly replacementIndex: number;
  readonly replacementLength: number;
  readonly matches: readonly {
    readonly completionText: string;
    readonly listItemText: string;
    /** System.Management.Automation.CompletionResultType by name. */
    readonly resultType: string;
    readonly toolTip: string;
  }[];
}

/** TabExpansion2's CommandCompletion for `line` with the cursor at `cursor`; undefined when it returned none. */
export async function tabExpansion(
  session: PowerShellSession,
  line: string,
  cursor: number,
): Promise<TabCompletion | undefined> {
  let completion: TabCompletion | undefined;
  const pipeline = session.invoke(
    {
      statements: [
        [
          {
            command: 'TabExpansion2',
            arguments: [
              { name: 'inputScript', value: line },
              { name: 'cursorColumn', value: cursor },
            ],
          },
        ],
      ],
    },
    { onOutput: (value) => (completion = value instanceof PSObject ? commandCompletion(value) : completion) },
  );
  await pipeline.finished;
  return completion;
}

function commandCompletion(value: PSObject): TabCompletion {
  const list = value.property('CompletionMatches');
  const items = list instanceof PSObject && list.value !== undefined && 'items' in list.value ? list.value.items : [];
  return {
    replacementIndex: numberOf(value.property('ReplacementIndex')),
    replacementLength: numberOf(value.property('ReplacementLength')),
    matches: items.flatMap((item) => {
      if (!(item instanceof PSObject)) return [];
      const completionText = stringOf(item.property('CompletionText'));
      if (completionText === undefined) return [];
      return [
        {
          completionText,
          listItemText: stringOf(item.property('ListItemText')) ?? completionText,
          resultType: textOf(item.property('ResultType') ?? null),
          toolTip: stringOf(item.property('ToolTip')) ?? '',
        },
      ];
    }),
  };
}

function numberOf(value: PSValue | undefined): number {
  return isPrimitive(value) && typeof value.value === 'number' ? value.value : 0;
}

function stringOf(value: PSValue | undefined): string | undefined {
  return isPrimitive(value) && value.kind === 'String' ? value.value : undefined;
}
