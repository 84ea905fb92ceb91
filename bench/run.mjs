/* global process, console */
// `npm run bench [-- NAME…]`: bundles every bench/*.ts (or those whose file name contains one of the NAMEs)
// with esbuild into dist/bench/ and runs each with node, one after another, so no two benchmarks share the
// CPU. A benchmark prints its own figures and ratios; it never asserts a timing. The exit status is 1 when
// a benchmark failed (threw, or exited non-zero), 0 otherwise.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const benchDirectory = path.join(root, 'bench');
const outDirectory = path.join(root, 'dist', 'bench');

const filters = process.argv.slice(2);
const entries = readdirSync(benchDirectory)
  .filter((name) => name.endsWith('.ts'))
  .filter((name) => filters.length === 0 || filters.some((filter) => name.includes(filter)))
  .sort();
if (entries.length === 0) {
  console.error(`bench: no benchmark in bench/ matches ${filters.join(', ')}`);
  process.exit(1);
}

/**
 * Modules locate files next to their source (e2e/support/lab.ts finds e2e/lab/ from import.meta.url); in a
 * bundle that would point into dist/bench/, so each bundled module's import.meta.url is its source file's URL.
 */
const sourceImportMetaUrl = {
  name: 'source-import-meta-url',
  setup(builder) {
    builder.onLoad({ filter: /\.ts$/ }, async (args) => ({
      contents: (await readFile(args.path, 'utf8')).replaceAll(
        'import.meta.url',
        JSON.stringify(pathToFileURL(args.path).href),
      ),
      loader: 'ts',
    }));
  },
};

await build({
  entryPoints: entries.map((name) => path.join(benchDirectory, name)),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
  outdir: outDirectory,
  plugins: [sourceImportMetaUrl],
});

const failed = [];
for (const name of entries) {
  const bundle = path.join(outDirectory, name.replace(/\.ts$/, '.js'));
  console.log(`\n=== ${name} ===`);
  const run = spawnSync(process.execPath, ['--enable-source-maps', '--expose-gc', bundle], {
    cwd: root,
    stdio: 'inherit',
  });
  if (run.status !== 0) failed.push(`${name} (${run.signal ?? `exit ${run.status}`})`);
}
if (failed.length > 0) {
  console.error(`\nbench: failed: ${failed.join(', ')}`);
  process.exit(1);
}
