// The preload of every window (bundled to dist/main/electron/preload.cjs, run sandboxed): see
// preload-handshake.ts. `window` is the page's window, seen from the isolated world.
import { ipcRenderer } from 'electron';
import type { PreloadWindow } from './preload-handshake';
import { installPreloadHandshake } from './preload-handshake';

declare const window: PreloadWindow;

installPreloadHandshake(window, ipcRenderer);
