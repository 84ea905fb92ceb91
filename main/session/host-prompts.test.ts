import { describe, expect, it } from 'vitest';
import { choiceMenu, promptHeading } from './host-prompts';

describe('choiceMenu', () => {
  const menu = choiceMenu([{ label: '&Yes' }, { label: '&No' }, { label: 'Maybe' }], 1);

  it('shows hot keys, labels and the default', () => {
    expect(menu.prompt).toBe('[Y] Yes  [N] No  [2] Maybe  (default is "N"): ');
  });

  it('chooses by hot key, by label, or the default on Enter; anything else asks again', () => {
    expect(menu.choose('y')).toBe(0);
    expect(menu.choose(' maybe ')).toBe(2);
    expect(menu.choose('')).toBe(1);
    expect(menu.choose('x')).toBeUndefined();
    expect(choiceMenu([{ label: '&Yes' }], -1).choose('')).toBeUndefined();
  });
});

describe('promptHeading', () => {
  it('joins caption and message, leaving empty ones out', () => {
    expect(promptHeading('Caption', '')).toBe('Caption');
    expect(promptHeading('Caption', 'Message')).toBe('Caption\nMessage');
  });
});
