import '@xterm/xterm/css/xterm.css';
import type { Terminal } from '@xterm/xterm';
import { useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent as ReactKeyboardEvent } from 'react';
import {
  TerminalEngine,
  type TerminalAppearance,
  type TerminalCallbacks,
  type TerminalEventSource,
} from './terminal-engine';
import type { TerminalShell } from './terminal-controller';
import type { TerminalThemeName } from './themes';

export type { TerminalEvent, TerminalEventSource, TerminalInput, TerminalOutputEvent } from './terminal-engine';

export interface TerminalViewProps extends Omit<TerminalCallbacks, 'onSearchRequested'> {
  /** The session's terminal events (output, prompts, Read-Host, progress, Clear-Host). */
  readonly events: TerminalEventSource;
  /** The host's command history for the first prompt; later changes apply to the next prompt. */
  readonly history?: readonly string[];
  /** `cmd` for a WinRS profile: no PowerShell line continuation. Read once, when mounted. */
  readonly shell?: TerminalShell;
  readonly theme?: TerminalThemeName;
  readonly fontFamily?: string;
  readonly fontSize?: number;
  readonly scrollback?: number;
  readonly copyOnSelect?: boolean;
  readonly screenReaderMode?: boolean;
  /** Accessible name of the terminal, e.g. "PowerShell on web01". */
  readonly ariaLabel?: string;
  /** Hands over the xterm instance once it exists (tests read its buffer through it). */
  readonly onReady?: (terminal: Terminal) => void;
}

const DEFAULT_FONT = '"Cascadia Mono", "Cascadia Code", Consolas, "DejaVu Sans Mono", "Liberation Mono", monospace';

type AppearanceProps = Pick<
  TerminalViewProps,
  'theme' | 'fontFamily' | 'fontSize' | 'scrollback' | 'copyOnSelect' | 'screenReaderMode' | 'ariaLabel'
>;

function appearanceOf(props: AppearanceProps): TerminalAppearance {
  return {
    theme: props.theme ?? 'dark',
    fontFamily: props.fontFamily ?? DEFAULT_FONT,
    fontSize: props.fontSize ?? 14,
    scrollback: props.scrollback ?? 10_000,
    copyOnSelect: props.copyOnSelect ?? false,
    screenReaderMode: props.screenReaderMode ?? false,
    label: props.ariaLabel ?? 'Terminal',
  };
}

/**
 * A PowerShell terminal: xterm.js with fit, WebGL (DOM renderer where WebGL is missing), search,
 * web links and Unicode 11 widths, driven by the line editor and the session's events.
 */
export function TerminalView(props: TerminalViewProps) {
  const containerRef = useRef<HTMLDivElement>(null);
  const engineRef = useRef<TerminalEngine | undefined>(undefined);
  const propsRef = useRef(props);
  const [searchOpen, setSearchOpen] = useState(false);
  const [query, setQuery] = useState('');
  const [notFound, setNotFound] = useState(false);
  const searchInputRef = useRef<HTMLInputElement>(null);

  useLayoutEffect(() => {
    propsRef.current = props;
  });

  useEffect(() => {
    const container = containerRef.current;
    if (!container) return;
    const current = propsRef.current;
    const session = { history: current.history ?? [], shell: current.shell ?? 'powershell' } as const;
    const engine = new TerminalEngine(container, appearanceOf(current), session, () => ({
      ...propsRef.current,
      onSearchRequested: () => setSearchOpen(true),
    }));
    engineRef.current = engine;
    current.onReady?.(engine.terminal);
    return () => {
      engineRef.current = undefined;
      engine.dispose();
    };
  }, []);

  const { events, history, theme, fontFamily, fontSize, scrollback, copyOnSelect, screenReaderMode, ariaLabel } = props;

  useEffect(() => engineRef.current && events((event) => engineRef.current?.handle(event)), [events]);

  useEffect(() => {
    if (history) engineRef.current?.setHistory(history);
  }, [history]);

  useEffect(() => {
    engineRef.current?.setAppearance(
      appearanceOf({ theme, fontFamily, fontSize, scrollback, copyOnSelect, screenReaderMode, ariaLabel }),
    );
  }, [theme, fontFamily, fontSize, scrollback, copyOnSelect, screenReaderMode, ariaLabel]);

  useEffect(() => {
    if (searchOpen) searchInputRef.current?.focus();
  }, [searchOpen]);

  const find = (direction: 'next' | 'previous'): void => {
    setNotFound(!(engineRef.current?.find(query, direction) ?? false) && query !== '');
  };

  const closeSearch = (): void => {
    setSearchOpen(false);
    setNotFound(false);
    engineRef.current?.clearFind();
    engineRef.current?.focus();
  };

  const searchKeyDown = (event: ReactKeyboardEvent<HTMLInputElement>): void => {
    if (event.key === 'Enter') {
      event.preventDefault();
      find(event.shiftKey ? 'previous' : 'next');
    } else if (event.key === 'Escape') {
      event.preventDefault();
      closeSearch();
    }
  };

  const dark = (theme ?? 'dark') === 'dark';
  return (
    <div
      role="region"
      aria-label={ariaLabel ?? 'Terminal'}
      style={{ position: 'relative', width: '100%', height: '100%', background: dark ? '#0c0c0c' : '#ffffff' }}
    >
      <div ref={containerRef} style={{ position: 'absolute', inset: 0, padding: 4 }} />
      {searchOpen && (
        <form
          role="search"
          aria-label="Find in terminal"
          onSubmit={(event) => event.preventDefault()}
          style={{
            position: 'absolute',
            top: 4,
            right: 16,
            zIndex: 10,
            display: 'flex',
            gap: 4,
            padding: 4,
            borderRadius: 4,
            background: dark ? '#252526' : '#f3f3f3',
            color: dark ? '#cccccc' : '#1f1f1f',
            boxShadow: '0 2px 8px rgba(0, 0, 0, 0.35)',
            font: '13px system-ui, sans-serif',
          }}
        >
          <input
            ref={searchInputRef}
            type="search"
            aria-label="Text to find"
            aria-invalid={notFound}
            value={query}
            onChange={(event) => {
              setQuery(event.target.value);
              setNotFound(false);
            }}
            onKeyDown={searchKeyDown}
          />
          <button type="button" aria-label="Previous match" onClick={() => find('previous')}>
            ↑
          </button>
          <button type="button" aria-label="Next match" onClick={() => find('next')}>
            ↓
          </button>
          <button type="button" aria-label="Close find" onClick={closeSearch}>
            ✕
          </button>
          {notFound && <span role="status">No match</span>}
        </form>
      )}
    </div>
  );
}
