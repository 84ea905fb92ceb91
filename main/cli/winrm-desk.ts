// The `winrm-desk` executable (bin/winrm-desk.js runs the bundle built from this file).
import { main } from './main';
import { hiddenPrompt, processTerminal, readAllStdin } from './terminal';

// --debug shows stack traces: let them name our TypeScript sources (the bundle has a source map).
if (process.argv.includes('--debug')) process.setSourceMapsEnabled(true);

process.exitCode = await main(process.argv.slice(2), {
  terminal: processTerminal(),
  secrets: { env: process.env, readStdin: readAllStdin, promptSecret: hiddenPrompt() },
});
