import { startWebBridgeApp } from '../../main/index';

/**
 * The web bridge as its own process, as `npm start` runs it without Electron (scripts/start.js): the real
 * composition root with its defaults — the OS keychain, the console logger on stderr, the data directory
 * from WINRM_DESK_DATA_DIR. The renderer directory is the first argument. Prints `winrm-desk: open URL`
 * once it listens; SIGTERM closes it.
 */
const rendererDirectory = process.argv[2];
if (rendererDirectory === undefined) throw new Error('usage: bridge-process-main RENDERER_DIRECTORY');
const bridge = await startWebBridgeApp({ rendererDirectory });
process.once('SIGTERM', () => {
  bridge.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
console.log(`winrm-desk: open ${bridge.url}`);
