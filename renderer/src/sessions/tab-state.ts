/**
 * The session tabs as the user arranges them: which tabs are open, in what order, which one is in front,
 * what each is called and which session each shows. A tab outlives its session: Reconnect (or Try again)
 * puts a new session of the same host into the same tab, in the same place, under the same name.
 *
 * Pure: every change returns a new state (React's reducer); the calls on the session service that go with
 * them are made by the component.
 */

export interface SessionTab {
  /** Stable for the tab's life (the id of the first session it showed). */
  readonly id: string;
  /** The session the tab shows now. */
  readonly sessionId: string;
  readonly hostId: string;
  /** 1 for the first open tab of its host, 2 for the second…: "lab", "lab (2)". Kept for the tab's life. */
  readonly ordinal: number;
  /** The name the user gave the tab; undefined shows the default title. */
  readonly title: string | undefined;
  /** Reconnect was asked for: the next new session of the host comes into this tab. */
  readonly replacing: boolean;
}

export interface TabsState {
  /** In the order shown. */
  readonly tabs: readonly SessionTab[];
  readonly activeTabId: string | undefined;
  /** Sessions let go of (their tab closed, or replaced by a reconnect): never given a tab again. */
  readonly retired: ReadonlySet<string>;
}

export const NO_TABS: TabsState = { tabs: [], activeTabId: undefined, retired: new Set() };

/** What the tab is called: the user's name, else the host's name, numbered from the second tab to the host on. */
export function tabTitle(tab: SessionTab, hostName: string): string {
  return tab.title ?? (tab.ordinal === 1 ? hostName : `${hostName} (${tab.ordinal})`);
}

export function activeTab(state: TabsState): SessionTab | undefined {
  return state.tabs.find((tab) => tab.id === state.activeTabId);
}

/**
 * Main reports a session: a new one gets a tab at the end, in front (or fills a tab of its host waiting for
 * a reconnect); a session that has a tab or was let go changes nothing.
 */
export function sessionSeen(state: TabsState, session: { sessionId: string; hostId: string }): TabsState {
  const { sessionId, hostId } = session;
  if (state.retired.has(sessionId) || state.tabs.some((tab) => tab.sessionId === sessionId)) return state;
  const waiting = state.tabs.find((tab) => tab.replacing && tab.hostId === hostId);
  if (waiting !== undefined) return replaceSession(state, waiting.id, sessionId);
  const taken = new Set(state.tabs.filter((tab) => tab.hostId === hostId).map((tab) => tab.ordinal));
  let ordinal = 1;
  while (taken.has(ordinal)) ordinal += 1;
  const tab: SessionTab = { id: sessionId, sessionId, hostId, ordinal, title: undefined, replacing: false };
  return { ...state, tabs: [...state.tabs, tab], activeTabId: tab.id };
}

/** Reconnect was asked for in this tab. */
export function reconnectRequested(state: TabsState, tabId: string): TabsState {
  return updateTab(state, tabId, (tab) => ({ ...tab, replacing: true }));
}

/**
 * The reconnect's session is `sessionId` (it may have filled the tab already through `sessionSeen`). A
 * session that has another tab by now stays where it is.
 */
export function reconnected(state: TabsState, tabId: string, sessionId: string): TabsState {
  if (state.tabs.some((tab) => tab.sessionId === sessionId)) return reconnectEnded(state, tabId);
  return replaceSession(state, tabId, sessionId);
}

/** The reconnect failed before it had a session: the tab stops waiting for one. */
export function reconnectEnded(state: TabsState, tabId: string): TabsState {
  return updateTab(state, tabId, (tab) => ({ ...tab, replacing: false }));
}

/** Closes the tab; its neighbour to the right (else to the left) comes to the front if it was in front. */
export function closeTab(state: TabsState, tabId: string): TabsState {
  const index = state.tabs.findIndex((tab) => tab.id === tabId);
  const closing = state.tabs[index];
  if (closing === undefined) return state;
  const tabs = state.tabs.filter((tab) => tab.id !== tabId);
  const activeTabId = state.activeTabId === tabId ? tabs[Math.min(index, tabs.length - 1)]?.id : state.activeTabId;
  return { tabs, activeTabId, retired: new Set(state.retired).add(closing.sessionId) };
}

/**
 * Lets go of a session (a reconnect that ended after its tab closed): a tab showing it closes, and it never
 * gets one.
 */
export function letGo(state: TabsState, sessionId: string): TabsState {
  const showing = state.tabs.find((tab) => tab.sessionId === sessionId);
  if (showing !== undefined) return closeTab(state, showing.id);
  return state.retired.has(sessionId) ? state : { ...state, retired: new Set(state.retired).add(sessionId) };
}

/** Gives the tab the user's name; a blank name goes back to the default title. */
export function renameTab(state: TabsState, tabId: string, title: string): TabsState {
  const trimmed = title.trim();
  return updateTab(state, tabId, (tab) => ({ ...tab, title: trimmed === '' ? undefined : trimmed }));
}

/** Moves the tab to position `index` (clamped to the ends). */
export function moveTab(state: TabsState, tabId: string, index: number): TabsState {
  const tab = state.tabs.find((candidate) => candidate.id === tabId);
  if (tab === undefined) return state;
  const tabs = state.tabs.filter((candidate) => candidate.id !== tabId);
  tabs.splice(Math.max(0, Math.min(index, tabs.length)), 0, tab);
  return { ...state, tabs };
}

/** Moves the tab `offset` places to the right (negative: to the left). */
export function moveTabBy(state: TabsState, tabId: string, offset: number): TabsState {
  const index = state.tabs.findIndex((tab) => tab.id === tabId);
  return index < 0 ? state : moveTab(state, tabId, index + offset);
}

export function activateTab(state: TabsState, tabId: string): TabsState {
  return state.tabs.some((tab) => tab.id === tabId) ? { ...state, activeTabId: tabId } : state;
}

/** The tab `step` places right of the one in front comes to the front, wrapping around at the ends. */
export function cycleTab(state: TabsState, step: number): TabsState {
  const count = state.tabs.length;
  if (count === 0) return state;
  const index = Math.max(
    0,
    state.tabs.findIndex((tab) => tab.id === state.activeTabId),
  );
  const next = state.tabs[(((index + step) % count) + count) % count];
  return next === undefined ? state : { ...state, activeTabId: next.id };
}

function replaceSession(state: TabsState, tabId: string, sessionId: string): TabsState {
  const tab = state.tabs.find((candidate) => candidate.id === tabId);
  if (tab === undefined) return state;
  return {
    ...updateTab(state, tabId, (current) => ({ ...current, sessionId, replacing: false })),
    retired: new Set(state.retired).add(tab.sessionId),
  };
}

function updateTab(state: TabsState, tabId: string, change: (tab: SessionTab) => SessionTab): TabsState {
  if (!state.tabs.some((tab) => tab.id === tabId)) return state;
  return { ...state, tabs: state.tabs.map((tab) => (tab.id === tabId ? change(tab) : tab)) };
}
