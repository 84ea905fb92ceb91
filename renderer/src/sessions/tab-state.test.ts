import { describe, expect, it } from 'vitest';
import type { TerminalEvent } from '../terminal/TerminalView';
import { CommandActivity } from './command-activity';
import {
  activeTab,
  activateTab,
  closeTab,
  letGo,
  cycleTab,
  moveTab,
  moveTabBy,
  NO_TABS,
  reconnected,
  reconnectEnded,
  reconnectRequested,
  renameTab,
  sessionSeen,
  tabTitle,
  type TabsState,
} from './tab-state';

const LAB = 'host-lab';
const WEB = 'host-web';

/** Tabs for sessions s1, s2… of the hosts given, opened in that order. */
function opened(...hosts: string[]): TabsState {
  return hosts.reduce((state, hostId, index) => sessionSeen(state, { sessionId: `s${index + 1}`, hostId }), NO_TABS);
}

const titles = (state: TabsState) => state.tabs.map((tab) => tabTitle(tab, tab.hostId === LAB ? 'lab' : 'web01'));

describe('session tabs', () => {
  it('opens a tab per new session, in front, numbering tabs of the same host', () => {
    const state = opened(LAB, WEB, LAB, LAB);
    expect(titles(state)).toEqual(['lab', 'web01', 'lab (2)', 'lab (3)']);
    expect(activeTab(state)?.sessionId).toBe('s4');
    // A session reported again (a state change) changes nothing.
    expect(sessionSeen(state, { sessionId: 's2', hostId: WEB })).toBe(state);
  });

  it('gives a new tab the lowest free number of its host and keeps the others’ numbers', () => {
    let state = opened(LAB, LAB, LAB);
    state = closeTab(state, 's1');
    expect(titles(state)).toEqual(['lab (2)', 'lab (3)']);
    state = sessionSeen(state, { sessionId: 's4', hostId: LAB });
    expect(titles(state)).toEqual(['lab (2)', 'lab (3)', 'lab']);
  });

  it('keeps a renamed title for the tab’s life; a blank name goes back to the default', () => {
    let state = renameTab(opened(LAB, LAB), 's2', '  build box ');
    expect(titles(state)).toEqual(['lab', 'build box']);
    state = reconnected(reconnectRequested(state, 's2'), 's2', 's9');
    expect(titles(state)).toEqual(['lab', 'build box']);
    expect(titles(renameTab(state, 's2', '   '))).toEqual(['lab', 'lab (2)']);
  });

  it('moves tabs by place and by offset, clamped to the ends', () => {
    const state = opened(LAB, WEB, LAB);
    const order = (moved: TabsState) => moved.tabs.map((tab) => tab.id);
    expect(order(moveTabBy(state, 's3', -1))).toEqual(['s1', 's3', 's2']);
    expect(order(moveTabBy(state, 's1', -1))).toEqual(['s1', 's2', 's3']);
    expect(order(moveTabBy(state, 's1', 5))).toEqual(['s2', 's3', 's1']);
    expect(order(moveTab(state, 's3', 0))).toEqual(['s3', 's1', 's2']);
    expect(moveTabBy(state, 'nope', 1)).toBe(state);
  });

  it('cycles the tab in front both ways, wrapping around', () => {
    let state = activateTab(opened(LAB, WEB, LAB), 's1');
    state = cycleTab(state, 1);
    expect(state.activeTabId).toBe('s2');
    state = cycleTab(cycleTab(state, 1), 1);
    expect(state.activeTabId).toBe('s1');
    expect(cycleTab(state, -1).activeTabId).toBe('s3');
    expect(cycleTab(NO_TABS, 1)).toBe(NO_TABS);
  });

  it('brings the right neighbour (else the left one) to the front when the front tab closes', () => {
    const state = activateTab(opened(LAB, WEB, LAB), 's2');
    expect(closeTab(state, 's2').activeTabId).toBe('s3');
    expect(closeTab(activateTab(state, 's3'), 's3').activeTabId).toBe('s2');
    expect(closeTab(state, 's1').activeTabId).toBe('s2');
    expect(closeTab(closeTab(closeTab(state, 's1'), 's2'), 's3')).toMatchObject({ tabs: [], activeTabId: undefined });
  });

  it('never reopens a tab for a session whose tab was closed', () => {
    const state = closeTab(opened(LAB, WEB), 's1');
    expect(sessionSeen(state, { sessionId: 's1', hostId: LAB })).toBe(state);
  });

  it('puts the reconnect’s session into the same tab and place, whichever arrives first', () => {
    const before = activateTab(opened(LAB, WEB, LAB), 's1');
    const waiting = reconnectRequested(before, 's1');
    // The new session's first state change arrives before connect() answers…
    const seenFirst = reconnected(sessionSeen(waiting, { sessionId: 's9', hostId: LAB }), 's1', 's9');
    // …or after it.
    const answeredFirst = sessionSeen(reconnected(waiting, 's1', 's9'), { sessionId: 's9', hostId: LAB });
    for (const state of [seenFirst, answeredFirst]) {
      expect(state.tabs.map((tab) => [tab.id, tab.sessionId, tab.replacing])).toEqual([
        ['s1', 's9', false],
        ['s2', 's2', false],
        ['s3', 's3', false],
      ]);
      expect(state.activeTabId).toBe('s1');
      expect(titles(state)).toEqual(['lab', 'web01', 'lab (2)']);
      // The dropped session is let go of for good.
      expect(sessionSeen(state, { sessionId: 's1', hostId: LAB })).toBe(state);
    }
  });

  it('leaves a session another tab has taken where it is, and stops waiting when the reconnect failed', () => {
    const waiting = reconnectRequested(opened(LAB, LAB), 's1');
    const state = reconnected(waiting, 's1', 's2');
    expect(state.tabs.map((tab) => [tab.sessionId, tab.replacing])).toEqual([
      ['s1', false],
      ['s2', false],
    ]);
    expect(reconnectEnded(waiting, 's1').tabs[0]?.replacing).toBe(false);
    // A session of another host does not fill the tab.
    expect(sessionSeen(waiting, { sessionId: 's5', hostId: WEB }).tabs.map((tab) => tab.sessionId)).toEqual([
      's1',
      's2',
      's5',
    ]);
  });
});

describe('letting go of a session', () => {
  it('closes the tab that shows it, or keeps it from ever getting one', () => {
    const state = activateTab(opened(LAB, WEB), 's1');
    expect(letGo(state, 's1')).toMatchObject({ activeTabId: 's2', tabs: [{ sessionId: 's2' }] });
    const before = letGo(state, 's7');
    expect(before.tabs).toEqual(state.tabs);
    expect(sessionSeen(before, { sessionId: 's7', hostId: LAB })).toBe(before);
    expect(letGo(before, 's7')).toBe(before);
  });
});

describe('CommandActivity', () => {
  it('counts a command as running from its submission to the next prompt', () => {
    const activity = new CommandActivity();
    let emit: (event: TerminalEvent) => void = () => undefined;
    const shown: TerminalEvent[] = [];
    const unsubscribe = activity.watch('s1', (listener) => {
      emit = listener;
      return () => undefined;
    })((event) => shown.push(event));

    emit({ type: 'prompt', prompt: 'PS> ' });
    expect(activity.isRunning('s1')).toBe(false);
    activity.input('s1', { type: 'submit', text: 'Start-Sleep 600', history: [] });
    expect(activity.isRunning('s1')).toBe(true);
    // Read-Host and its answer happen inside the command.
    emit({ type: 'read-line', prompt: 'Name', secret: false });
    activity.input('s1', { type: 'read-line', text: 'bob' });
    emit({ type: 'output', data: 'bob\r\n', sequence: 3 });
    expect(activity.isRunning('s1')).toBe(true);
    expect(activity.isRunning('s2')).toBe(false);
    emit({ type: 'prompt', prompt: 'PS> ' });
    expect(activity.isRunning('s1')).toBe(false);
    expect(shown.map((event) => event.type)).toEqual(['prompt', 'read-line', 'output', 'prompt']);

    activity.input('s1', { type: 'submit', text: 'Get-Date', history: [] });
    activity.forget('s1');
    expect(activity.isRunning('s1')).toBe(false);
    unsubscribe();
  });
});
