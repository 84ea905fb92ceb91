// Sums the results of every runner `scripts/run-suites.sh` used into one line
// `N passed, N failed, N skipped` and exits 1 when anything failed or a runner left no report.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

const resultsDirectory = process.argv[2];
const totals = { passed: 0, failed: 0, skipped: 0 };
const problems = [];

for (const file of readdirSync(resultsDirectory).filter((name) => name.startsWith('check-'))) {
  const outcome = readFileSync(path.join(resultsDirectory, file), 'utf8').trim();
  if (outcome === 'pass') totals.passed += 1;
  else {
    totals.failed += 1;
    problems.push(`${file.slice('check-'.length)} failed`);
  }
}

const vitestReport = path.join(resultsDirectory, 'vitest.json');
if (existsSync(vitestReport)) {
  const report = JSON.parse(readFileSync(vitestReport, 'utf8'));
  totals.passed += report.numPassedTests;
  totals.failed += report.numFailedTests;
  totals.skipped += report.numPendingTests + report.numTodoTests;
  // A suite that failed to load (syntax error, failing global setup) has no failed *tests*.
  const brokenSuites = report.testResults.filter(
    (suite) => suite.status === 'failed' && suite.assertionResults.length === 0,
  );
  totals.failed += brokenSuites.length;
  if (report.numFailedTests > 0 || brokenSuites.length > 0) problems.push('vitest reported failures');
  if (report.numTotalTests === 0) problems.push('vitest ran no test');
} else {
  totals.failed += 1;
  problems.push('vitest left no report (it crashed or its global setup failed)');
}

const labReport = path.join(resultsDirectory, 'lab.xml');
if (existsSync(labReport)) {
  const xml = readFileSync(labReport, 'utf8');
  const attribute = (name) => Number(new RegExp(`<testsuite[^>]*\\s${name}="(\\d+)"`).exec(xml)?.[1] ?? 0);
  const [tests, failures, errors, skipped] = ['tests', 'failures', 'errors', 'skipped'].map(attribute);
  totals.passed += tests - failures - errors - skipped;
  totals.failed += failures + errors;
  totals.skipped += skipped;
  if (failures + errors > 0) problems.push('the lab suite reported failures');
  if (tests === 0) problems.push('the lab suite ran no test');
} else {
  totals.failed += 1;
  problems.push('pytest left no report');
}

for (const problem of problems) console.log(`- ${problem}`);
console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(problems.length > 0 ? 1 : 0);
