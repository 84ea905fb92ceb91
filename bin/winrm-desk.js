#!/usr/bin/env node
// The `winrm-desk` command-line front end (exec, cmd, shell). Reserved: it arrives with the protocol core.
console.error('winrm-desk: the command-line client is not built yet; it arrives with the protocol core.');
process.exit(2);
