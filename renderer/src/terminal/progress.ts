import type { ProgressRecordValue } from '../../../core/psrp/clixml/primitives';
import { PS_STYLE } from './streams';
import type { CodePointWidth } from './text-width';
import { displayable, fitToWidth, textWidth, truncateToWidth } from './text-width';
import { SGR_INVERSE, SGR_INVERSE_OFF, SGR_RESET } from './vt';

/**
 * Write-Progress: the activities in progress, keyed by (source, activity id) and nested by parent
 * activity id, rendered as PowerShell 7's "Minimal" progress view: one line per activity, children
 * indented under their parent, `Activity [status     ] 30s` with the completed share of the bar in
 * inverse video. The terminal draws these lines in the live region above the prompt, never into the
 * scrollback.
 */

export type ProgressRecord = ProgressRecordValue;

/** Where a record comes from: PSRP's host call carries a source id; each pipeline is a source of its own. */
export type ProgressSource = string | number | bigint;

export interface ProgressEntry {
  readonly record: ProgressRecord;
  /** 0 for a top-level activity, 1 for its children… */
  readonly depth: number;
}

interface Activity {
  readonly source: string;
  readonly record: ProgressRecord;
}

const key = (source: string, activityId: number): string => `${source}\u0000${activityId}`;

export class ProgressModel {
  /** In order of first appearance; an update keeps an activity's place. */
  readonly #activities = new Map<string, Activity>();

  get isEmpty(): boolean {
    return this.#activities.size === 0;
  }

  /** Records an update; a `Completed` record removes its activity and the activities nested in it. */
  update(source: ProgressSource, record: ProgressRecord): void {
    const sourceKey = String(source);
    const activityKey = key(sourceKey, record.activityId);
    if (record.recordType !== 'Completed') {
      this.#activities.set(activityKey, { source: sourceKey, record });
      return;
    }
    const removed = new Set([activityKey]);
    for (let grew = true; grew;) {
      grew = false;
      for (const [candidate, activity] of this.#activities) {
        if (!removed.has(candidate) && removed.has(key(activity.source, activity.record.parentActivityId))) {
          removed.add(candidate);
          grew = true;
        }
      }
    }
    for (const removedKey of removed) this.#activities.delete(removedKey);
  }

  clear(): void {
    this.#activities.clear();
  }

  /** Each activity followed by its children, depth first; an activity whose parent is absent is top-level. */
  entries(): ProgressEntry[] {
    const children = new Map<string | undefined, string[]>();
    for (const [activityKey, { source, record }] of this.#activities) {
      const parentKey = key(source, record.parentActivityId);
      const parent = record.parentActivityId >= 0 && this.#activities.has(parentKey) ? parentKey : undefined;
      children.set(parent, [...(children.get(parent) ?? []), activityKey]);
    }
    const entries: ProgressEntry[] = [];
    const visited = new Set<string>();
    const visit = (activityKey: string, depth: number): void => {
      const activity = this.#activities.get(activityKey);
      if (activity === undefined || visited.has(activityKey)) return;
      visited.add(activityKey);
      entries.push({ record: activity.record, depth });
      for (const child of children.get(activityKey) ?? []) visit(child, depth + 1);
    };
    for (const root of children.get(undefined) ?? []) visit(root, 0);
    // Activities that are each other's parents have no root above them: show them top-level.
    for (const activityKey of this.#activities.keys()) visit(activityKey, 0);
    return entries;
  }
}

export interface ProgressLayout {
  readonly columns: number;
  readonly width: CodePointWidth;
  /** Lines at most; the rest are not shown. */
  readonly maxRows: number;
  /** $PSStyle.Progress.MaxWidth. */
  readonly maxWidth?: number;
}

/** The progress lines, each narrower than the screen so that none wraps. */
export function renderProgress(entries: readonly ProgressEntry[], layout: ProgressLayout): string[] {
  const lineWidth = Math.min(layout.columns, layout.maxWidth ?? 120) - 2;
  if (lineWidth < 1) return [];
  return entries.slice(0, Math.max(0, layout.maxRows)).map((entry) => progressLine(entry, lineWidth, layout.width));
}

function progressLine({ record, depth }: ProgressEntry, lineWidth: number, width: CodePointWidth): string {
  const indent = '  '.repeat(depth);
  const room = lineWidth - indent.length;
  const activity = displayable(record.activity);
  // The bar gets at least a third of the line; the activity name is shortened for it.
  const minimumBar = Math.floor(room / 3);
  const name = truncateToWidth(activity, Math.max(0, room - minimumBar - 3), width, '…');
  const barWidth = room - textWidth(name, width) - 3;
  if (barWidth < 1) return `${indent}${PS_STYLE.progress}${truncateToWidth(name, room, width)}${SGR_RESET}`;

  const time = record.secondsRemaining >= 0 ? `${record.secondsRemaining}s` : '';
  const statusWidth = time !== '' && time.length + 1 < barWidth ? barWidth - time.length - 1 : barWidth;
  const content =
    fitToWidth(displayable(record.statusDescription), statusWidth, width) + (statusWidth < barWidth ? ` ${time}` : '');
  const percent = record.percentComplete;
  const filledCells = percent < 0 ? barWidth : Math.round((barWidth * Math.min(percent, 100)) / 100);
  const filled = truncateToWidth(content, filledCells, width);
  const rest = content.slice(filled.length);
  return `${indent}${PS_STYLE.progress}${name} [${SGR_INVERSE}${filled}${SGR_INVERSE_OFF}${rest}]${SGR_RESET}`;
}
