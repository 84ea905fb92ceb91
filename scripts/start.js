// `npm start`: installs the npm dependencies when they are missing, builds the renderer, and starts the app.
// Until the Electron shell and the web bridge land, it builds what exists and says what is coming.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const run = (command, args, env = {}) =>
  execFileSync(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });

if (!existsSync(path.join(root, 'node_modules', '.package-lock.json'))) {
  console.log('winrm-desk: installing npm dependencies (npm ci)…');
  run('npm', ['ci', '--no-audit', '--no-fund'], {
    ELECTRON_SKIP_BINARY_DOWNLOAD: '1',
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1',
  });
}
run('npx', ['vite', 'build', '--logLevel', 'warn']);
console.log(
  'winrm-desk: the renderer is built in dist/renderer. The desktop shell (Electron, or the web bridge in a\n' +
    'browser where the Electron binary is missing) is not wired yet: it arrives with the desktop-app issue.',
);
