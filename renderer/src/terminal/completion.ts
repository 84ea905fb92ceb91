import { ProtocolError } from '../../../core/errors';
import type { CodePointWidth } from './text-width';
import { displayable, fitToWidth, textWidth, truncateToWidth } from './text-width';
import { SGR_INVERSE, SGR_INVERSE_OFF } from './vt';

/**
 * Applying what the remote `TabExpansion2` returns (a System.Management.Automation.CommandCompletion)
 * to the input line, and the list shown below the prompt when several matches cycle on Tab.
 */

/** System.Management.Automation.CompletionResultType, by name. */
export type CompletionResultType =
  | 'Text'
  | 'History'
  | 'Command'
  | 'ProviderItem'
  | 'ProviderContainer'
  | 'Property'
  | 'Method'
  | 'ParameterName'
  | 'ParameterValue'
  | 'Variable'
  | 'Namespace'
  | 'Type'
  | 'Keyword'
  | 'DynamicKeyword';

export interface CompletionMatch {
  /** Inserted into the line. */
  readonly completionText: string;
  /** Shown in the list. */
  readonly listItemText: string;
  readonly resultType: CompletionResultType;
  readonly toolTip: string;
}

export interface CompletionResult {
  /** UTF-16 offset of the text the matches replace (the same unit as JavaScript strings). */
  readonly replacementIndex: number;
  readonly replacementLength: number;
  readonly matches: readonly CompletionMatch[];
}

export interface EditedText {
  readonly text: string;
  readonly cursor: number;
}

/** The remote's completion names a range outside the text it was asked to complete. */
export class CompletionRangeError extends ProtocolError {
  override readonly name = 'CompletionRangeError';
}

/** The text with match `index` replacing the completed range, the cursor right after it. */
export function applyCompletionMatch(original: EditedText, result: CompletionResult, index: number): EditedText {
  const { replacementIndex: start, replacementLength: length } = result;
  if (!Number.isInteger(start) || !Number.isInteger(length) || start < 0 || length < 0) {
    throw new CompletionRangeError(`completion range ${start}+${length} is not a pair of offsets`);
  }
  if (start + length > original.text.length) {
    throw new CompletionRangeError(
      `completion range ${start}+${length} passes the end of a ${original.text.length}-character line`,
    );
  }
  const match = result.matches[index];
  if (match === undefined) throw new CompletionRangeError(`completion has no match ${index}`);
  return {
    text: original.text.slice(0, start) + match.completionText + original.text.slice(start + length),
    cursor: start + match.completionText.length,
  };
}

/** Several matches cycled with Tab (forwards) and Shift+Tab (backwards), always replacing the same range. */
export class CompletionCycle {
  #index: number;

  constructor(
    readonly original: EditedText,
    readonly result: CompletionResult,
    initialIndex = 0,
  ) {
    // Fails here, before anything changes, when the remote's range does not fit the text.
    applyCompletionMatch(original, result, initialIndex);
    this.#index = initialIndex;
  }

  get index(): number {
    return this.#index;
  }

  get current(): EditedText {
    return applyCompletionMatch(this.original, this.result, this.#index);
  }

  step(direction: 1 | -1): EditedText {
    const count = this.result.matches.length;
    this.#index = (this.#index + direction + count) % count;
    return this.current;
  }
}

export interface MenuLayout {
  readonly columns: number;
  readonly width: CodePointWidth;
  readonly maxRows: number;
}

/**
 * The list of matches as a grid filled column by column, like PSReadLine's MenuComplete, with the
 * selected one in inverse video, and its tooltip below when it says more than the item. Every line is
 * narrower than the screen so none wraps; when the grid has more rows than `maxRows`, the rows around
 * the selected item are shown.
 */
export function completionMenuLines(result: CompletionResult, selected: number, layout: MenuLayout): string[] {
  const available = Math.max(1, layout.columns - 1);
  const items = result.matches.map((match) => displayable(match.listItemText));
  const itemWidth = Math.min(available, Math.max(...items.map((item) => textWidth(item, layout.width))) + 2);
  const gridColumns = Math.max(1, Math.floor(available / itemWidth));
  const gridRows = Math.ceil(items.length / gridColumns);
  const selectedRow = selected % gridRows;
  const shownRows = Math.min(gridRows, layout.maxRows);
  const firstRow = Math.min(Math.max(0, selectedRow - shownRows + 1), gridRows - shownRows);

  const lines: string[] = [];
  for (let row = firstRow; row < firstRow + shownRows; row += 1) {
    let line = '';
    for (let column = 0; column < gridColumns; column += 1) {
      const index = column * gridRows + row;
      const item = items[index];
      if (item === undefined) break;
      const cell = fitToWidth(item, itemWidth - 1, layout.width);
      line += index === selected ? `${SGR_INVERSE}${cell}${SGR_INVERSE_OFF} ` : `${cell} `;
    }
    lines.push(line.trimEnd());
  }
  const match = result.matches[selected];
  const toolTip = match ? displayable(match.toolTip).trim() : '';
  if (toolTip !== '' && toolTip !== items[selected]?.trim()) {
    lines.push(truncateToWidth(toolTip, available, layout.width, '…'));
  }
  if (shownRows < gridRows) lines.push(`(${selected + 1} of ${items.length})`);
  return lines;
}
