import type { FieldDescription } from '../../core/psrp/session';

/**
 * How a console asks PowerShell's host prompts (PROTOCOL.md §2.7) as lines of text, shared by the CLI and
 * the app: the choice menu of PromptForChoice and the fields of Prompt (Read-Host -Prompt, mandatory
 * parameters).
 */

export interface ChoiceMenu {
  /** `[Y] Yes  [N] No  (default is "Y"): ` */
  readonly prompt: string;
  /** The chosen index for a typed answer (hot key, label, or empty for the default); undefined: ask again. */
  choose(answer: string): number | undefined;
}

export function choiceMenu(choices: readonly { label: string }[], defaultChoice: number): ChoiceMenu {
  const options = choices.map((choice, index) => {
    const hotKey = /&(.)/.exec(choice.label)?.[1]?.toUpperCase() ?? String(index);
    return { index, hotKey, label: choice.label.replace('&', '') };
  });
  const fallback = options[defaultChoice];
  const menu = options.map((option) => `[${option.hotKey}] ${option.label}`).join('  ');
  return {
    prompt: `${menu}${fallback === undefined ? '' : `  (default is "${fallback.hotKey}")`}: `,
    choose: (typed) => {
      const answer = typed.trim().toUpperCase();
      if (answer === '') return fallback?.index;
      return options.find((option) => option.hotKey === answer || option.label.toUpperCase() === answer)?.index;
    },
  };
}

/** What a Prompt field asks for: a line, a secret (SecureString) or a credential. */
export function fieldKind(field: FieldDescription): 'text' | 'secret' | 'credential' {
  if (field.parameterTypeFullName === 'System.Security.SecureString') return 'secret';
  if (field.parameterTypeFullName === 'System.Management.Automation.PSCredential') return 'credential';
  return 'text';
}

/** `Name: ` — the field's label, else its name. */
export function fieldPrompt(field: FieldDescription): string {
  return `${field.label !== '' ? field.label : field.name}: `;
}

/** The lines a prompt shows before its fields: caption and message, the empty ones left out. */
export function promptHeading(caption: string, message: string): string {
  return [caption, message].filter((line) => line !== '').join('\n');
}
