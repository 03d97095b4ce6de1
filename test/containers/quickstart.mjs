#!/usr/bin/env node
// `npm run test:quickstart`: README's "Running without Docker", step by step, on a fresh clone of
// the repository's HEAD: npm ci, `cp .env.example .env` (then DATABASE_URL and JWT_SECRET edited,
// as README says), createdb, `npm run db:migrate`, `npm run db:seed`,
// `npm run build && npm run start:prod`, and a request. The database is a throwaway one on the
// PostgreSQL of DATABASE_URL; REDIS_URL's Redis is used. README's Docker quick start is the
// container tier (run.mjs). Writes .tmp/test-results/quickstart.json ({ passed, failed, seconds }).
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PORT = 4010;

function step(command, args, cwd, env) {
  console.log(`quickstart$ ${command} ${args.join(' ')}`);
  execFileSync(command, args, { cwd, env, stdio: ['ignore', 'inherit', 'inherit'], timeout: 600_000 });
}

/** Runs README's steps in a fresh clone of `root`'s HEAD; `check(what, ok, detail)` records each result. */
async function readmeQuickStart(root, check) {
  const adminUrl = new URL(process.env.DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/conduit');
  const database = `conduit_quickstart_${process.pid}`;
  const databaseUrl = new URL(adminUrl);
  databaseUrl.pathname = `/${database}`;
  const clone = mkdtempSync(path.join(tmpdir(), 'conduit-quickstart-'));
  // Only what the shell of a newcomer has: none of the test harness's settings.
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, CI: process.env.CI ?? '', npm_config_cache: process.env.npm_config_cache ?? '' };
  let api;
  try {
    step('git', ['clone', '--quiet', '--no-hardlinks', root, clone], root, env);
    step('npm', ['ci', '--no-audit', '--no-fund', '--prefer-offline'], clone, env);
    step('cp', ['.env.example', '.env'], clone, env);
    // "then edit DATABASE_URL and JWT_SECRET": as an editor would, on their lines of .env.
    const dotenv = readFileSync(path.join(clone, '.env'), 'utf8')
      .replace(/^#?\s*DATABASE_URL=.*$/m, `DATABASE_URL=${databaseUrl}`)
      .replace(/^#?\s*JWT_SECRET=.*$/m, `JWT_SECRET=quickstart-${'s'.repeat(40)}`)
      .replace(/^#?\s*REDIS_URL=.*$/m, `REDIS_URL=${process.env.REDIS_URL || 'redis://127.0.0.1:6379'}`)
      .replace(/^#?\s*PORT=.*$/m, `PORT=${PORT}`);
    writeFileSync(path.join(clone, '.env'), dotenv);
    step('createdb', ['-h', adminUrl.hostname, '-p', adminUrl.port || '5432', '-U', decodeURIComponent(adminUrl.username || 'postgres'), database], clone, env);
    step('npm', ['run', 'db:migrate'], clone, env);
    step('npm', ['run', 'db:seed'], clone, env);
    step('npm', ['run', 'build'], clone, env);
    console.log('quickstart$ npm run start:prod');
    api = spawn('npm', ['run', 'start:prod'], { cwd: clone, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    api.stdout.on('data', (chunk) => (output += chunk));
    api.stderr.on('data', (chunk) => (output += chunk));
    let articles;
    for (let waited = 0; waited < 60 && !articles; waited += 1) {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      articles = await fetch(`http://127.0.0.1:${PORT}/api/articles?limit=1`).then((response) => (response.ok ? response.json() : undefined), () => undefined);
    }
    check('README without Docker: cp .env.example .env, migrate, seed, start, GET /api/articles lists the seeded articles', articles?.articlesCount > 0, output.slice(-2000));
  } catch (error) {
    check('README without Docker: every step succeeds', false, error.message);
  } finally {
    if (api) {
      process.kill(-api.pid, 'SIGTERM');
      await new Promise((resolve) => api.once('exit', resolve));
    }
    try {
      execFileSync('dropdb', ['-h', adminUrl.hostname, '-p', adminUrl.port || '5432', '-U', decodeURIComponent(adminUrl.username || 'postgres'), '--if-exists', database], { stdio: 'ignore' });
    } catch {
      console.log(`quickstart: could not drop ${database}`);
    }
    // In the background: deleting node_modules takes a minute on a busy disk.
    spawn('rm', ['-rf', clone], { detached: true, stdio: 'ignore' }).unref();
  }
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const results = { passed: 0, failed: 0 };
const started = performance.now();
await readmeQuickStart(root, (what, ok, detail) => {
  results[ok ? 'passed' : 'failed'] += 1;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}${!ok && detail ? `: ${detail}` : ''}`);
});
results.seconds = Math.round((performance.now() - started) / 100) / 10;
mkdirSync(path.join(root, '.tmp/test-results'), { recursive: true });
writeFileSync(path.join(root, '.tmp/test-results/quickstart.json'), JSON.stringify(results));
console.log(`quickstart: ${results.seconds} s\n${results.passed} passed, ${results.failed} failed`);
process.exitCode = results.failed ? 1 : 0;
