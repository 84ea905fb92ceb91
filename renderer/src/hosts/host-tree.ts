import type { HostProfile } from '../../../core/contract/host-profile';
import type { HostList } from '../../../core/contract/host-service';

/**
 * The sidebar's tree as flat rows in display order: a "Recent" section (hosts by last use), each group by
 * name, then the ungrouped hosts. A search shows only matching hosts, with every section that has one
 * expanded; without a search, empty groups stay visible so they can be filled, renamed or deleted.
 */

export const RECENT_SECTION = 'recent';
export const UNGROUPED_SECTION = 'ungrouped';
export const RECENT_LIMIT = 5;

export interface SectionRow {
  readonly kind: 'section';
  readonly key: string;
  /** The group's id; absent for Recent and Ungrouped. */
  readonly groupId?: string;
  readonly label: string;
  readonly expanded: boolean;
  readonly hostCount: number;
}

export interface HostRow {
  readonly kind: 'host';
  /** Unique among rows: a host listed under Recent appears again under its group. */
  readonly key: string;
  readonly sectionKey: string;
  readonly host: HostProfile;
}

export type TreeRow = SectionRow | HostRow;

/** Every word of `query` occurs in the host's name, address, user or group name (case-insensitive). */
export function hostMatches(host: HostProfile, groupName: string, query: string): boolean {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const text = [host.name, host.address, host.user, groupName].join('\n').toLowerCase();
  return words.every((word) => text.includes(word));
}

const byName = (a: { name: string }, b: { name: string }) =>
  a.name.localeCompare(b.name, undefined, { sensitivity: 'base', numeric: true });

export function buildHostTree(list: HostList, query: string, collapsed: ReadonlySet<string>): TreeRow[] {
  const searching = query.trim() !== '';
  const groupNames = new Map(list.groups.map((group) => [group.id, group.name]));
  const matching = list.hosts.filter((host) =>
    hostMatches(host, host.groupId === undefined ? '' : (groupNames.get(host.groupId) ?? ''), query),
  );
  const rows: TreeRow[] = [];
  const section = (key: string, label: string, hosts: readonly HostProfile[], groupId?: string) => {
    const expanded = searching || !collapsed.has(key);
    rows.push({ kind: 'section', key, label, expanded, hostCount: hosts.length, ...(groupId ? { groupId } : {}) });
    if (expanded) {
      for (const host of hosts) rows.push({ kind: 'host', key: `${key}/${host.id}`, sectionKey: key, host });
    }
  };

  const recent = matching
    .filter((host) => host.lastUsed !== undefined)
    .sort((a, b) => Date.parse(b.lastUsed ?? '') - Date.parse(a.lastUsed ?? ''))
    .slice(0, RECENT_LIMIT);
  if (!searching && recent.length > 0) section(RECENT_SECTION, 'Recent', recent);
  for (const group of [...list.groups].sort(byName)) {
    const hosts = matching.filter((host) => host.groupId === group.id).sort(byName);
    if (!searching || hosts.length > 0) section(`group/${group.id}`, group.name, hosts, group.id);
  }
  const ungrouped = matching.filter((host) => host.groupId === undefined || !groupNames.has(host.groupId));
  if (ungrouped.length > 0) section(UNGROUPED_SECTION, 'Ungrouped', ungrouped.sort(byName));
  return rows;
}

/** What a key press in the tree does (the WAI-ARIA tree pattern), or undefined when the tree ignores it. */
export type TreeKeyAction =
  { readonly kind: 'focus'; readonly key: string } | { readonly kind: 'expand' | 'collapse'; readonly key: string };

export function treeKeyAction(rows: readonly TreeRow[], currentKey: string, key: string): TreeKeyAction | undefined {
  const index = rows.findIndex((row) => row.key === currentKey);
  const row = rows[index];
  if (row === undefined) return rows[0] === undefined ? undefined : { kind: 'focus', key: rows[0].key };
  const focus = (target: TreeRow | undefined) =>
    target === undefined ? undefined : { kind: 'focus' as const, key: target.key };
  switch (key) {
    case 'ArrowDown':
      return focus(rows[index + 1]);
    case 'ArrowUp':
      return focus(rows[index - 1]);
    case 'Home':
      return focus(rows[0]);
    case 'End':
      return focus(rows.at(-1));
    case 'ArrowRight':
      if (row.kind === 'host') return undefined;
      return row.expanded
        ? focus(rows[index + 1]?.kind === 'host' ? rows[index + 1] : undefined)
        : { kind: 'expand', key: row.key };
    case 'ArrowLeft':
      if (row.kind === 'host') return focus(rows.find((candidate) => candidate.key === row.sectionKey));
      return row.expanded ? { kind: 'collapse', key: row.key } : undefined;
    default:
      return undefined;
  }
}
