import { randomUUID } from 'node:crypto';
import { PSVersion } from '../../core/psrp/clixml';
import {
  Credential,
  SecureText,
  type FieldDescription,
  type HostCall,
  type OutgoingValue,
} from '../../core/psrp/session';
import type { PowerShellSession } from './powershell-session';

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

/** How a console asks the user, line by line: the CLI's terminal and the app's xterm view each provide one. */
export interface LinePrompter {
  /** Shows the caption and message lines of a prompt (already joined, never empty). */
  showHeading(text: string): void;
  /** Reads one line; `secret` lines are not echoed. */
  readLine(prompt: string, secret: boolean): Promise<string>;
}

/**
 * Answers the host calls that ask the user something (Read-Host, Read-Host -AsSecureString,
 * Get-Credential, Prompt, PromptForChoice) and the host's identity, by asking `prompter`. Returns false
 * for every other method, which the caller handles (output) or declines.
 */
export async function answerPromptCall(
  session: Pick<PowerShellSession, 'answerHostCall'>,
  call: HostCall,
  prompter: LinePrompter,
): Promise<boolean> {
  const heading = (caption: string, message: string) => {
    const text = promptHeading(caption, message);
    if (text !== '') prompter.showHeading(text);
  };
  const credential = async (userName: string): Promise<Credential> => {
    const user = userName !== '' ? userName : await prompter.readLine('User: ', false);
    return new Credential(user, new SecureText(await prompter.readLine(`Password for user ${user}: `, true)));
  };
  const field = async (description: FieldDescription): Promise<OutgoingValue> => {
    switch (fieldKind(description)) {
      case 'secret':
        return new SecureText(await prompter.readLine(fieldPrompt(description), true));
      case 'credential':
        return credential('');
      default:
        return prompter.readLine(fieldPrompt(description), false);
    }
  };
  switch (call.method) {
    case 'ReadLine':
      session.answerHostCall(call, { result: await prompter.readLine('', false) });
      return true;
    case 'ReadLineAsSecureString':
      session.answerHostCall(call, { result: new SecureText(await prompter.readLine('', true)) });
      return true;
    case 'PromptForCredential1':
    case 'PromptForCredential2': {
      const { caption, message, userName } = call.parameters;
      heading(caption, message);
      session.answerHostCall(call, { result: await credential(userName) });
      return true;
    }
    case 'Prompt': {
      const { caption, message, descriptions } = call.parameters;
      heading(caption, message);
      const answers = new Map<string, OutgoingValue>();
      for (const description of descriptions) answers.set(description.name, await field(description));
      session.answerHostCall(call, { result: answers });
      return true;
    }
    case 'PromptForChoice': {
      const { caption, message, choices, defaultChoice } = call.parameters;
      heading(caption, message);
      const menu = choiceMenu(choices, defaultChoice);
      let chosen: number | undefined;
      while (chosen === undefined) chosen = menu.choose(await prompter.readLine(menu.prompt, false));
      session.answerHostCall(call, { result: chosen });
      return true;
    }
    case 'GetName':
      session.answerHostCall(call, { result: 'WinRM Desk' });
      return true;
    case 'GetVersion':
      session.answerHostCall(call, { result: new PSVersion(0, 1) });
      return true;
    case 'GetInstanceId':
      session.answerHostCall(call, { result: randomUUID() });
      return true;
    default:
      return false;
  }
}
