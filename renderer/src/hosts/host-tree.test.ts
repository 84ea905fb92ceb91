import { describe, expect, it } from 'vitest';
import type { HostList } from '../../../core/contract/host-service';
import { hostProfileSchema } from '../../../core/contract/host-profile';
import { buildHostTree, RECENT_SECTION, treeKeyAction, UNGROUPED_SECTION } from './host-tree';

const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const web = uuid(100);
const db = uuid(101);

const list: HostList = {
  groups: [
    { id: web, name: 'Web' },
    { id: db, name: 'Databases' },
    { id: uuid(102), name: 'Empty' },
  ],
  hosts: [
    hostProfileSchema.parse({ id: uuid(1), name: 'web02', address: 'web02.corp', groupId: web, user: 'CORP\\alice' }),
    hostProfileSchema.parse({
      id: uuid(2),
      name: 'web01',
      address: 'web01.corp',
      groupId: web,
      lastUsed: '2025-05-01T10:00:00Z',
    }),
    hostProfileSchema.parse({
      id: uuid(3),
      name: 'sql01',
      address: '10.0.0.5',
      groupId: db,
      user: 'sa-admin',
      lastUsed: '2025-05-02T10:00:00Z',
    }),
    hostProfileSchema.parse({ id: uuid(4), name: 'jump', address: 'jump.corp' }),
  ],
};

const labels = (rows: ReturnType<typeof buildHostTree>) =>
  rows.map((row) => (row.kind === 'section' ? `[${row.label}]` : row.host.name));

describe('buildHostTree', () => {
  it('lists Recent by last use, the groups by name with their hosts by name, then the ungrouped hosts', () => {
    expect(labels(buildHostTree(list, '', new Set()))).toEqual([
      '[Recent]',
      'sql01',
      'web01',
      '[Databases]',
      'sql01',
      '[Empty]',
      '[Web]',
      'web01',
      'web02',
      '[Ungrouped]',
      'jump',
    ]);
  });

  it('hides the hosts of collapsed sections', () => {
    const rows = buildHostTree(list, '', new Set([RECENT_SECTION, `group/${web}`]));
    expect(labels(rows)).toEqual(['[Recent]', '[Databases]', 'sql01', '[Empty]', '[Web]', '[Ungrouped]', 'jump']);
    expect(rows.find((row) => row.key === `group/${web}`)).toMatchObject({ expanded: false, hostCount: 2 });
  });

  it('searches name, address, user and group, every word, showing only sections with a match, expanded', () => {
    const collapsed = new Set([`group/${web}`]);
    expect(labels(buildHostTree(list, 'WEB', collapsed))).toEqual(['[Web]', 'web01', 'web02']);
    expect(labels(buildHostTree(list, '10.0.0', collapsed))).toEqual(['[Databases]', 'sql01']);
    expect(labels(buildHostTree(list, 'alice', collapsed))).toEqual(['[Web]', 'web02']);
    expect(labels(buildHostTree(list, 'web 01', collapsed))).toEqual(['[Web]', 'web01']);
    expect(labels(buildHostTree(list, 'nothing', collapsed))).toEqual([]);
  });

  it('gives every row a distinct key though a recent host is listed twice', () => {
    const keys = buildHostTree(list, '', new Set()).map((row) => row.key);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('treeKeyAction', () => {
  const rows = buildHostTree(list, '', new Set([RECENT_SECTION]));
  const key = (name: string) => rows.find((row) => row.kind === 'host' && row.host.name === name)?.key ?? '';

  it('moves up and down, to the first and the last row, and stops at the ends', () => {
    expect(treeKeyAction(rows, RECENT_SECTION, 'ArrowDown')).toEqual({ kind: 'focus', key: `group/${db}` });
    expect(treeKeyAction(rows, `group/${db}`, 'ArrowUp')).toEqual({ kind: 'focus', key: RECENT_SECTION });
    expect(treeKeyAction(rows, RECENT_SECTION, 'ArrowUp')).toBeUndefined();
    expect(treeKeyAction(rows, RECENT_SECTION, 'End')).toEqual({ kind: 'focus', key: key('jump') });
    expect(treeKeyAction(rows, key('jump'), 'Home')).toEqual({ kind: 'focus', key: RECENT_SECTION });
    expect(treeKeyAction(rows, key('jump'), 'ArrowDown')).toBeUndefined();
  });

  it('expands and collapses sections with the arrows and goes from a host to its section', () => {
    expect(treeKeyAction(rows, RECENT_SECTION, 'ArrowRight')).toEqual({ kind: 'expand', key: RECENT_SECTION });
    expect(treeKeyAction(rows, `group/${web}`, 'ArrowRight')).toEqual({ kind: 'focus', key: key('web01') });
    expect(treeKeyAction(rows, `group/${web}`, 'ArrowLeft')).toEqual({ kind: 'collapse', key: `group/${web}` });
    expect(treeKeyAction(rows, key('jump'), 'ArrowLeft')).toEqual({ kind: 'focus', key: UNGROUPED_SECTION });
    expect(treeKeyAction(rows, `group/${uuid(102)}`, 'ArrowRight')).toBeUndefined();
    expect(treeKeyAction(rows, key('web01'), 'x')).toBeUndefined();
  });

  it('focuses the first row when the current one is gone', () => {
    expect(treeKeyAction(rows, 'deleted', 'ArrowDown')).toEqual({ kind: 'focus', key: RECENT_SECTION });
    expect(treeKeyAction([], 'deleted', 'ArrowDown')).toBeUndefined();
  });
});
