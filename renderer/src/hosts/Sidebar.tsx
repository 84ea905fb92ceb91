import { useEffect, useId, useMemo, useRef, useState } from 'react';
import type { AppClient } from '../../../core/contract/app-contract';
import type { HostGroup, HostProfile } from '../../../core/contract/host-profile';
import type { HostList } from '../../../core/contract/host-service';
import { ConfirmDialog } from '../dialogs/ConfirmDialog';
import type { ShownError } from '../dialogs/error-text';
import { shownError } from '../dialogs/error-text';
import { ErrorMessage } from '../dialogs/ErrorMessage';
import { NameDialog } from '../dialogs/NameDialog';
import type { MenuAction } from './ActionMenu';
import { ActionMenu } from './ActionMenu';
import { HostForm } from './HostForm';
import type { TreeRow } from './host-tree';
import { buildHostTree, treeKeyAction } from './host-tree';
import { downloadTextFile } from './profile-files';
import type { HostStatus } from './use-sessions';
import { HOST_STATUS_LABELS } from './use-sessions';

type SidebarDialog =
  | { readonly kind: 'add-host'; readonly groupId?: string }
  | { readonly kind: 'edit-host'; readonly host: HostProfile }
  | { readonly kind: 'delete-host'; readonly host: HostProfile }
  | { readonly kind: 'add-group' }
  | { readonly kind: 'rename-group'; readonly group: HostGroup }
  | { readonly kind: 'delete-group'; readonly group: HostGroup; readonly hostCount: number };

interface OpenMenu {
  readonly rowKey: string;
  readonly position: { readonly x: number; readonly y: number };
}

/**
 * The saved hosts (DESIGN.md §1 step 1): search, Recent, groups as a keyboard tree (arrows, Home/End,
 * Enter connects, F2 edits, Delete deletes after confirmation, Shift+F10 or the Menu key opens the
 * actions), a status dot per host, and add/edit/duplicate/delete, groups, import and export.
 */
export function Sidebar({
  services,
  list,
  statuses,
  onConnect,
  onSetPassword,
}: {
  readonly services: AppClient;
  readonly list: HostList;
  readonly statuses: ReadonlyMap<string, HostStatus>;
  readonly onConnect: (host: HostProfile) => void;
  readonly onSetPassword: (host: HostProfile) => void;
}) {
  const { hosts, credentials } = services;
  const [query, setQuery] = useState('');
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(new Set());
  const [activeKey, setActiveKey] = useState<string | undefined>();
  const [dialog, setDialog] = useState<SidebarDialog | undefined>();
  const [menu, setMenu] = useState<OpenMenu | undefined>();
  const [notice, setNotice] = useState('');
  const [failure, setFailure] = useState<ShownError | undefined>();
  const rowElements = useRef(new Map<string, HTMLLIElement>());
  const importInput = useRef<HTMLInputElement>(null);
  /** The row to focus once the tree has re-rendered (after a delete, a collapse, an add). */
  const focusAfterRender = useRef<string | undefined>(undefined);
  const id = useId();

  const rows = useMemo(() => buildHostTree(list, query, collapsed), [list, query, collapsed]);
  const current = rows.find((row) => row.key === activeKey) ?? rows[0];

  useEffect(() => {
    const key = focusAfterRender.current;
    if (key === undefined) return;
    focusAfterRender.current = undefined;
    (rowElements.current.get(key) ?? rowElements.current.get(rows[0]?.key ?? ''))?.focus();
  }, [rows]);

  const focusRow = (key: string) => {
    setActiveKey(key);
    rowElements.current.get(key)?.focus();
  };

  const report = (promise: Promise<unknown>, success?: string) => {
    setFailure(undefined);
    promise.then(
      () => success !== undefined && setNotice(success),
      (error: unknown) => setFailure(shownError(error)),
    );
  };

  const setCollapsedKey = (key: string, isCollapsed: boolean) =>
    setCollapsed((known) => {
      const next = new Set(known);
      if (isCollapsed) next.add(key);
      else next.delete(key);
      return next;
    });

  const groupOf = (row: TreeRow) =>
    row.kind === 'section' && row.groupId !== undefined
      ? list.groups.find((group) => group.id === row.groupId)
      : undefined;

  const actionsFor = (row: TreeRow): MenuAction[] => {
    if (row.kind === 'host') {
      const { host } = row;
      return [
        { label: 'Connect', run: () => onConnect(host) },
        { label: 'Edit…', run: () => setDialog({ kind: 'edit-host', host }) },
        { label: 'Duplicate', run: () => report(hosts.duplicate({ id: host.id }), `Duplicated ${host.name}.`) },
        { label: 'Set password…', run: () => onSetPassword(host) },
        {
          label: 'Forget saved password',
          run: () =>
            report(credentials.forgetSecret({ hostId: host.id }), `Forgot the saved password for ${host.name}.`),
        },
        { label: 'Delete…', danger: true, run: () => setDialog({ kind: 'delete-host', host }) },
      ];
    }
    const group = groupOf(row);
    if (group === undefined) return [];
    return [
      { label: 'Add a host to this group…', run: () => setDialog({ kind: 'add-host', groupId: group.id }) },
      { label: 'Rename group…', run: () => setDialog({ kind: 'rename-group', group }) },
      {
        label: 'Delete group…',
        danger: true,
        run: () =>
          setDialog({
            kind: 'delete-group',
            group,
            hostCount: list.hosts.filter((host) => host.groupId === group.id).length,
          }),
      },
    ];
  };

  const openMenu = (row: TreeRow, element: HTMLElement) => {
    if (actionsFor(row).length === 0) return;
    const box = element.getBoundingClientRect();
    setActiveKey(row.key);
    setMenu({ rowKey: row.key, position: { x: box.left + 24, y: box.bottom } });
  };

  const onRowKeyDown = (event: React.KeyboardEvent<HTMLLIElement>, row: TreeRow) => {
    if (event.target !== event.currentTarget) return;
    const action = treeKeyAction(rows, row.key, event.key);
    if (action !== undefined) {
      event.preventDefault();
      if (action.kind === 'focus') focusRow(action.key);
      else setCollapsedKey(action.key, action.kind === 'collapse');
      return;
    }
    const group = groupOf(row);
    switch (event.key) {
      case 'Enter':
        event.preventDefault();
        if (row.kind === 'host') onConnect(row.host);
        else setCollapsedKey(row.key, row.expanded);
        return;
      case 'Delete':
        event.preventDefault();
        if (row.kind === 'host') setDialog({ kind: 'delete-host', host: row.host });
        else if (group !== undefined) actionsFor(row).at(-1)?.run();
        return;
      case 'F2':
        event.preventDefault();
        if (row.kind === 'host') setDialog({ kind: 'edit-host', host: row.host });
        else if (group !== undefined) setDialog({ kind: 'rename-group', group });
        return;
      case 'ContextMenu':
        event.preventDefault();
        openMenu(row, event.currentTarget);
        return;
      case 'F10':
        if (!event.shiftKey) return;
        event.preventDefault();
        openMenu(row, event.currentTarget);
        return;
    }
  };

  /** Focus goes back to the row first, so a dialog opened from the menu returns it there when it closes. */
  const closeMenu = () => {
    if (menu !== undefined) rowElements.current.get(menu.rowKey)?.focus();
    setMenu(undefined);
  };

  const exportProfiles = () =>
    report(
      hosts.exportProfiles({}).then(({ fileName, text }) => downloadTextFile(fileName, text)),
      'Exported the saved hosts (without passwords).',
    );

  const importProfiles = async (file: File | undefined) => {
    if (importInput.current !== null) importInput.current.value = '';
    if (file === undefined) return;
    report(
      file.text().then(async (text) => {
        const { imported } = await hosts.importProfiles({ text });
        setNotice(`Imported ${imported.length} ${imported.length === 1 ? 'host' : 'hosts'} from ${file.name}.`);
      }),
    );
  };

  const closeDialog = () => setDialog(undefined);
  const deleteHost = (host: HostProfile) => {
    const index = rows.findIndex((row) => row.kind === 'host' && row.host.id === host.id);
    focusAfterRender.current = rows[index - 1]?.key;
    setActiveKey(focusAfterRender.current);
    closeDialog();
    report(hosts.delete({ id: host.id }), `Deleted ${host.name}.`);
  };

  const menuRow = menu && rows.find((row) => row.key === menu.rowKey);
  return (
    <nav className="sidebar" aria-label="Hosts">
      <div className="sidebar-toolbar" role="toolbar" aria-label="Host actions">
        <button type="button" onClick={() => setDialog({ kind: 'add-host' })}>
          Add host
        </button>
        <button type="button" onClick={() => setDialog({ kind: 'add-group' })}>
          Add group
        </button>
        <button type="button" onClick={() => importInput.current?.click()}>
          Import…
        </button>
        <button type="button" onClick={exportProfiles} disabled={list.hosts.length === 0}>
          Export
        </button>
        <input
          ref={importInput}
          type="file"
          accept=".json,application/json"
          hidden
          aria-label="Host profiles file to import"
          onChange={(event) => void importProfiles(event.target.files?.[0])}
        />
      </div>
      <input
        type="search"
        className="search"
        aria-label="Search hosts"
        aria-controls={rows.length === 0 ? undefined : `${id}-tree`}
        placeholder="Search name, address, user"
        value={query}
        onChange={(event) => setQuery(event.target.value)}
        onKeyDown={(event) => {
          if (event.key === 'ArrowDown' && current !== undefined) {
            event.preventDefault();
            focusRow(current.key);
          }
        }}
      />
      <p role="status" className="notice">
        {notice}
      </p>
      <ErrorMessage error={failure} />
      {rows.length === 0 ? (
        <p className="empty">{list.hosts.length === 0 ? 'No saved hosts yet. Add one.' : 'No host matches.'}</p>
      ) : (
        <ul role="tree" id={`${id}-tree`} aria-label="Saved hosts" className="host-tree">
          {rows.map((row) => {
            const isCurrent = row.key === current?.key;
            const common = {
              ref: (element: HTMLLIElement | null) => {
                if (element === null) rowElements.current.delete(row.key);
                else rowElements.current.set(row.key, element);
              },
              role: 'treeitem',
              tabIndex: isCurrent ? 0 : -1,
              'aria-selected': isCurrent,
              onKeyDown: (event: React.KeyboardEvent<HTMLLIElement>) => onRowKeyDown(event, row),
              onFocus: () => setActiveKey(row.key),
              onContextMenu: (event: React.MouseEvent<HTMLLIElement>) => {
                event.preventDefault();
                openMenu(row, event.currentTarget);
              },
            } as const;
            if (row.kind === 'section') {
              return (
                <li
                  key={row.key}
                  {...common}
                  aria-level={1}
                  aria-expanded={row.expanded}
                  className="tree-section"
                  onClick={() => setCollapsedKey(row.key, row.expanded)}
                >
                  <span className="twisty" aria-hidden="true">
                    {row.expanded ? '▾' : '▸'}
                  </span>
                  <span className="section-name">{row.label}</span> <span className="count">{row.hostCount}</span>
                  {row.groupId === undefined ? null : (
                    <RowMenuButton label={`Actions for group ${row.label}`} onOpen={(el) => openMenu(row, el)} />
                  )}
                </li>
              );
            }
            const { host } = row;
            const status = statuses.get(host.id) ?? 'not-connected';
            return (
              <li key={row.key} {...common} aria-level={2} className="tree-host" onDoubleClick={() => onConnect(host)}>
                <span className={`status-dot status-${status}`} aria-hidden="true" title={HOST_STATUS_LABELS[status]} />
                <span className="host-name">{host.name}</span> <span className="host-detail">{hostDetail(host)}</span>
                <span className="visually-hidden"> · {HOST_STATUS_LABELS[status]}</span>
                <RowMenuButton label={`Actions for ${host.name}`} onOpen={(el) => openMenu(row, el)} />
              </li>
            );
          })}
        </ul>
      )}

      {menu === undefined || menuRow === undefined ? null : (
        <ActionMenu
          label={menuRow.kind === 'host' ? `Actions for ${menuRow.host.name}` : `Actions for group ${menuRow.label}`}
          actions={actionsFor(menuRow)}
          position={menu.position}
          onClose={closeMenu}
        />
      )}

      {dialog?.kind === 'add-host' || dialog?.kind === 'edit-host' ? (
        <HostForm
          hosts={hosts}
          groups={list.groups}
          {...(dialog.kind === 'edit-host' ? { editing: dialog.host } : {})}
          {...(dialog.kind === 'add-host' && dialog.groupId !== undefined ? { initialGroupId: dialog.groupId } : {})}
          onDone={(saved) => {
            closeDialog();
            if (saved !== undefined) setNotice(`Saved ${saved.name}.`);
          }}
        />
      ) : null}
      {dialog?.kind === 'delete-host' ? (
        <ConfirmDialog
          title={`Delete ${dialog.host.name}?`}
          confirmLabel="Delete"
          onConfirm={() => deleteHost(dialog.host)}
          onCancel={closeDialog}
        >
          <p>The profile, its saved password and its trust decisions are removed. Open sessions to it stay open.</p>
        </ConfirmDialog>
      ) : null}
      {dialog?.kind === 'add-group' ? (
        <NameDialog
          title="Add a group"
          label="Group name"
          submitLabel="Add group"
          onCancel={closeDialog}
          onSubmit={async (name) => {
            await hosts.addGroup({ name });
            closeDialog();
            setNotice(`Added the group ${name.trim()}.`);
          }}
        />
      ) : null}
      {dialog?.kind === 'rename-group' ? (
        <NameDialog
          title={`Rename ${dialog.group.name}`}
          label="Group name"
          initialName={dialog.group.name}
          submitLabel="Rename"
          onCancel={closeDialog}
          onSubmit={async (name) => {
            await hosts.renameGroup({ id: dialog.group.id, name });
            closeDialog();
          }}
        />
      ) : null}
      {dialog?.kind === 'delete-group' ? (
        <ConfirmDialog
          title={`Delete the group ${dialog.group.name}?`}
          confirmLabel="Delete group"
          onConfirm={() => {
            focusAfterRender.current = rows[0]?.key;
            closeDialog();
            report(hosts.deleteGroup({ id: dialog.group.id }), `Deleted the group ${dialog.group.name}.`);
          }}
          onCancel={closeDialog}
        >
          <p>
            Its {dialog.hostCount === 1 ? 'host stays' : `${dialog.hostCount} hosts stay`}, ungrouped; the certificate
            authorities trusted for the group are forgotten.
          </p>
        </ConfirmDialog>
      ) : null}
    </nav>
  );
}

/** What a host row shows under its name: where it connects and as whom. */
function hostDetail(host: HostProfile): string {
  return `${host.address}:${host.port}${host.user === '' ? '' : ` · ${host.user}`}`;
}

/**
 * The pointer's way to a row's actions; keyboard users press Shift+F10 or the Menu key on the row. Hidden from
 * assistive technology (which reaches the same menu from the row), so a row's name is its visible text alone.
 */
function RowMenuButton({ label, onOpen }: { readonly label: string; readonly onOpen: (element: HTMLElement) => void }) {
  return (
    <button
      type="button"
      tabIndex={-1}
      aria-hidden="true"
      className="row-menu-button"
      aria-label={label}
      aria-haspopup="menu"
      onClick={(event) => {
        event.stopPropagation();
        onOpen(event.currentTarget);
      }}
    >
      ⋯
    </button>
  );
}
