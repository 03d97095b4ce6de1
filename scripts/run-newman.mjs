#!/usr/bin/env node
// Runs the RealWorld Postman collection (test/contract/Conduit.postman_collection.json) with newman
// against the built API:
//
//   npm run test:newman          (= node scripts/with-test-db.mjs node scripts/run-newman.mjs)
//
// Starts `node dist/src/main.js` (running `npm run build` first if there is no build) on a free
// port, waits until it answers, runs the collection with fresh USERNAME/EMAIL/PASSWORD globals and
// newman's cli reporter, and always stops the server. Exits 1 unless every assertion passed, no
// request failed and every response was a success (the collection is one happy path; its delete
// requests assert nothing, so a 500 there would otherwise pass). The API's own log is printed
// only when something failed.
//
// NEWMAN_SUMMARY_JSON=<file> also writes the counts there (scripts/test-all.mjs reads them).
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../test/helpers/local-servers.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const entry = path.join(root, 'dist/src/main.js');
const collection = path.join(root, 'test/contract/Conduit.postman_collection.json');
const STARTUP_TIMEOUT_MS = 30_000;

// newman 6 reads fs.F_OK, deprecated in Node 24 (DEP0176): harmless, and the only warning to hide.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = (warning, ...rest) => (rest.includes('DEP0176') || rest[0]?.code === 'DEP0176' ? undefined : emitWarning(warning, ...rest));
const newman = createRequire(import.meta.url)('newman');

/** The API, with its output kept for when something fails. */
function startApi(port) {
  const log = [];
  const server = spawn(process.execPath, [entry], {
    cwd: root,
    env: { ...process.env, PORT: String(port), LOG_LEVEL: process.env.LOG_LEVEL || 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [server.stdout, server.stderr]) stream.on('data', (chunk) => log.push(chunk.toString()));
  const exited = new Promise((resolve) => server.once('exit', (code, signal) => resolve({ code, signal })));
  return { server, log, exited };
}

async function waitUntilAnswering(url, exited) {
  let gone = null;
  void exited.then((status) => (gone = status));
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (gone) throw new Error(`the API exited during start-up (code ${gone.code ?? gone.signal})`);
    try {
      await fetch(url, { signal: AbortSignal.timeout(1_000) });
      return; // any HTTP answer means it listens
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  throw new Error(`the API did not answer ${url} within ${STARTUP_TIMEOUT_MS / 1000} s`);
}

async function stopApi({ server, exited }) {
  if (server.exitCode !== null || server.signalCode !== null) return;
  server.kill('SIGTERM');
  const timer = setTimeout(() => server.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

function runCollection(apiUrl) {
  const suffix = randomBytes(4).toString('hex');
  const globals = {
    APIURL: apiUrl,
    USERNAME: `newman_${suffix}`,
    EMAIL: `newman_${suffix}@example.com`,
    PASSWORD: `pw-${randomBytes(9).toString('base64url')}`,
  };
  console.log(`run-newman: ${apiUrl} as ${globals.USERNAME} <${globals.EMAIL}>`);
  return new Promise((resolve, reject) => {
    newman.run(
      {
        collection,
        globalVar: Object.entries(globals).map(([key, value]) => ({ key, value })),
        reporters: ['cli'],
        // The collection's scripts use the old `tests[...]` API: without this, every request prints
        // the sandbox's deprecation notices.
        reporter: { cli: { noConsole: true } },
        timeoutRequest: 10_000,
      },
      (error, summary) => (error ? reject(error) : resolve(summary)),
    );
  });
}

/** Requests that got no response, or an HTTP error. */
function failedRequests(summary) {
  return summary.run.executions
    .filter((execution) => execution.requestError || !execution.response || execution.response.code >= 400)
    .map((execution) => {
      const answer = execution.requestError?.message ?? `${execution.response.code} ${execution.response.status}`;
      return `${execution.item.name}: ${answer}`;
    });
}

if (!existsSync(entry)) {
  console.log('run-newman: no build in dist/; running npm run build');
  const build = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) process.exit(1);
}

const port = await freePort();
const api = startApi(port);
const stop = () => stopApi(api).finally(() => process.exit(130));
process.once('SIGINT', stop).once('SIGTERM', stop);

let passed = false;
try {
  await waitUntilAnswering(`http://127.0.0.1:${port}/api/tags`, api.exited);
  const summary = await runCollection(`http://127.0.0.1:${port}/api`);
  const { assertions, requests } = summary.run.stats;
  const badRequests = failedRequests(summary);
  passed = assertions.failed === 0 && requests.failed === 0 && badRequests.length === 0 && assertions.total > 0;
  for (const line of badRequests) console.error(`run-newman: failed request: ${line}`);
  console.log(
    `run-newman: ${assertions.total - assertions.failed} of ${assertions.total} assertions passed, ` +
      `${requests.total - badRequests.length} of ${requests.total} requests succeeded`,
  );
  if (process.env.NEWMAN_SUMMARY_JSON) {
    mkdirSync(path.dirname(process.env.NEWMAN_SUMMARY_JSON), { recursive: true });
    writeFileSync(
      process.env.NEWMAN_SUMMARY_JSON,
      JSON.stringify({ assertions: { total: assertions.total, failed: assertions.failed }, requests: { total: requests.total, failed: badRequests.length } }),
    );
  }
} catch (error) {
  console.error(`run-newman: ${error.message}`);
} finally {
  await stopApi(api);
}
if (!passed) {
  console.error('run-newman: FAILED. The API said:');
  console.error(api.log.join('').trimEnd() || '(nothing)');
}
process.exit(passed ? 0 : 1);
