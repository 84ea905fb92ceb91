// The Electron entry (bundled to dist/main/electron/main.cjs, package.json "main"). Passing the real
// `electron` module to startElectronShell is what checks, at compile time, that it fits electron-api.ts.
import * as electron from 'electron';
import path from 'node:path';
import { composeApp } from '../index';
import { startElectronShell } from './shell';

startElectronShell(electron, {
  rendererDirectory: path.join(__dirname, '..', '..', 'renderer'),
  preloadPath: path.join(__dirname, 'preload.cjs'),
  platform: process.platform,
  compose: () => composeApp(),
}).catch((error: unknown) => {
  console.error('WinRM Desk could not start:', error);
  electron.app.exit(1);
});
