#!/usr/bin/env node
// `npm test`: every check, in order, stopping at the first failure.
//
//   typecheck   tsc --noEmit -p tsconfig.json     (ts-jest does not type-check: see jest.config.js)
//   build       npm run build
//   unit        npm run test:unit
//   integration npm run test:integration          (repositories and services on a fresh, migrated database of its own)
//   docker      npm run check:docker              (what one container run cannot show: see the script)
//   e2e         npm run test:e2e                  (a fresh, migrated test database: with-test-db.mjs)
//   search-es   npm run test:search-live -- elasticsearch  (the search suites live on one Elasticsearch node)
//   search-os   npm run test:search-live -- opensearch     (the same on one OpenSearch node)
//   generator   npm run test:generator            (generated features build, lint and pass their tests, in a copy)
//   newman      npm run test:newman               (the RealWorld Postman collection against the build)
//   replicas    npm run test:replicas             (the contract suites and the Postman collection with a streaming read replica)
//   drills      npm run drills                    (fault drills: real processes, their own PostgreSQL, Redis, SMTP)
//   containers  npm run test:containers           (the image built and the compose stack run for real: test/containers)
//   quickstart  npm run test:quickstart           (README's steps without Docker, on a fresh clone)
//
// Ends with a table (step, result, tests, seconds) and, as its last line, `N passed, M failed`,
// for CI tooling to read. N and M count tests: each Jest test and each newman assertion, and one for
// each step that has no tests of its own (typecheck, build, docker) or that failed without
// reporting any (a suite that did not compile, a server that did not start).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const resultsDir = path.join(root, '.tmp/test-results');
const resultFile = (name) => path.join(resultsDir, `${name}.json`);

/** Reads a results file written by the step, or null if it wrote none. */
function readJson(file) {
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : null;
}

/** Counts from Jest's --json output. */
function jestCounts(name) {
  const report = readJson(resultFile(name));
  return report && { passed: report.numPassedTests, failed: report.numFailedTests, label: 'tests' };
}

function containersCounts() {
  const report = readJson(resultFile('containers'));
  return report && { passed: report.passed, failed: report.failed, label: 'checks' };
}

function quickstartCounts() {
  const report = readJson(resultFile('quickstart'));
  return report && { passed: report.passed, failed: report.failed, label: 'checks' };
}

function newmanCounts() {
  const report = readJson(resultFile('newman'));
  return report && { passed: report.assertions.total - report.assertions.failed, failed: report.assertions.failed, label: 'assertions' };
}

const jestJson = (name) => ['--', '--json', `--outputFile=${resultFile(name)}`];
const steps = [
  { name: 'typecheck', command: [process.execPath, path.join(root, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', 'tsconfig.json'] },
  { name: 'build', command: ['npm', 'run', 'build'] },
  { name: 'unit', command: ['npm', 'run', 'test:unit', ...jestJson('unit')], counts: () => jestCounts('unit') },
  { name: 'integration', command: ['npm', 'run', 'test:integration', ...jestJson('integration')], counts: () => jestCounts('integration') },
  { name: 'docker', command: ['npm', 'run', 'check:docker'] },
  { name: 'e2e', command: ['npm', 'run', 'test:e2e', ...jestJson('e2e')], counts: () => jestCounts('e2e') },
  { name: 'search-es', command: ['node', 'scripts/test-search-live.mjs', 'elasticsearch', ...jestJson('search-es').slice(1)], counts: () => jestCounts('search-es') },
  { name: 'search-os', command: ['node', 'scripts/test-search-live.mjs', 'opensearch', ...jestJson('search-os').slice(1)], counts: () => jestCounts('search-os') },
  { name: 'generator', command: ['npm', 'run', 'test:generator', ...jestJson('generator')], counts: () => jestCounts('generator') },
  { name: 'newman', command: ['npm', 'run', 'test:newman'], env: { NEWMAN_SUMMARY_JSON: resultFile('newman') }, counts: newmanCounts },
  { name: 'replicas', command: ['npm', 'run', 'test:replicas', ...jestJson('replicas')], counts: () => jestCounts('replicas') },
  { name: 'drills', command: ['npm', 'run', 'drills', ...jestJson('drills')], counts: () => jestCounts('drills') },
  { name: 'containers', command: ['npm', 'run', 'test:containers'], counts: containersCounts },
  { name: 'quickstart', command: ['npm', 'run', 'test:quickstart'], counts: quickstartCounts },
];

function run([program, ...args], env) {
  return new Promise((resolve) => {
    const child = spawn(program, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
    child.on('error', (error) => {
      console.error(`test-all: could not run ${program}: ${error.message}`);
      resolve(1);
    });
    child.on('exit', (code) => resolve(code ?? 1));
  });
}

rmSync(resultsDir, { recursive: true, force: true });
mkdirSync(resultsDir, { recursive: true });
const results = [];
for (const [index, step] of steps.entries()) {
  console.log(`\n━━━ [${index + 1}/${steps.length}] ${step.name}: ${step.command.join(' ').replace(process.execPath, 'node')}\n`);
  const started = performance.now();
  const code = await run(step.command, step.env);
  const seconds = (performance.now() - started) / 1000;
  const ok = code === 0;
  results.push({ name: step.name, ok, seconds, counts: step.counts?.() ?? null });
  if (!ok) break;
}

let passed = 0;
let failed = 0;
const rows = steps.map((step) => {
  const result = results.find((each) => each.name === step.name);
  if (!result) return [step.name, 'not run', '', ''];
  const { ok, counts } = result;
  // A failed step that reported no failing test (it crashed, or did not compile) counts as one failure.
  const testsFailed = counts ? counts.failed + (!ok && counts.failed === 0 ? 1 : 0) : ok ? 0 : 1;
  const testsPassed = counts ? counts.passed : ok ? 1 : 0;
  passed += testsPassed;
  failed += testsFailed;
  const tests = counts ? `${counts.passed} of ${counts.passed + counts.failed} ${counts.label} passed` : '';
  return [step.name, ok ? 'passed' : 'FAILED', tests, result.seconds.toFixed(1)];
});

const header = ['step', 'result', 'tests', 'seconds'];
const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
const line = (cells) => cells.map((cell, column) => (column === 3 ? cell.padStart(widths[column]) : cell.padEnd(widths[column]))).join('  ');
const total = results.reduce((sum, result) => sum + result.seconds, 0);
console.log(`\n━━━ summary\n\n${line(header)}\n${widths.map((width) => '-'.repeat(width)).join('  ')}`);
for (const row of rows) console.log(line(row));
console.log(`${line(['total', '', '', total.toFixed(1)])}\n`);
const stepsFailed = results.filter((result) => !result.ok).length;
console.log(`steps: ${results.length - stepsFailed} passed, ${stepsFailed} failed, ${steps.length - results.length} not run`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(stepsFailed ? 1 : 0);
