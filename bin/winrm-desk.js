#!/usr/bin/env node
// The `winrm-desk` command-line client (cmd, exec, shell): runs the bundle `npm run build` makes from main/cli.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bundle = new URL('../dist/cli/winrm-desk.js', import.meta.url);
if (!existsSync(fileURLToPath(bundle))) {
  console.error('winrm-desk: the command-line client is not built: run `npm run build` in the repository first.');
  process.exit(70);
}
await import(bundle.href);
