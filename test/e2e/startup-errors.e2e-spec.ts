import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ensureBuilt, freePort, startApi, stopAll } from '../helpers/child-processes';

/**
 * A newcomer's mistakes, at every entry point (api, worker, cli, migrations, seed): each gives one
 * line on stderr and exit code 1, never a stack trace; and an empty value (`FOO=` in .env or the
 * environment) means "not set", so `cp .env.example .env` works.
 */

const ROOT = path.resolve(__dirname, '..', '..');
const JWT_SECRET = 'x'.repeat(32);
const ENTRY_POINTS: Record<string, string[]> = {
  api: ['dist/src/main.js'],
  worker: ['dist/src/worker.js'],
  cli: ['dist/src/cli.js', 'db:check'],
  migrations: ['scripts/prisma-migrate.mjs', 'deploy'],
  seed: ['dist/prisma/seed.js'],
};

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs an entry point in `cwd` with only `env` (and PATH/HOME) set, to its end. */
function run(args: string[], env: Record<string, string>, cwd = ROOT): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args.map((arg, index) => (index === 0 ? path.join(ROOT, arg) : arg)), {
      cwd,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function expectOneLine(outcome: Outcome, pattern: RegExp): void {
  const lines = outcome.stderr.split('\n').filter((line) => line.trim());
  expect({ code: outcome.code, lines }).toEqual({ code: 1, lines: [expect.stringMatching(pattern)] });
  expect(outcome.stdout + outcome.stderr).not.toMatch(/^\s+at /m);
}

describe('start-up mistakes, at every entry point', () => {
  let closedPort: number;
  let cwd: string;

  beforeAll(async () => {
    await ensureBuilt();
    closedPort = await freePort();
    // An empty folder: no .env of the developer's is read.
    cwd = mkdtempSync(path.join(tmpdir(), 'conduit-startup-'));
  }, 180_000);

  afterAll(async () => {
    rmSync(cwd, { recursive: true, force: true });
    await stopAll();
  });

  it.each(Object.keys(ENTRY_POINTS))('%s: no DATABASE_URL (or an empty one) is one line', async (name) => {
    expectOneLine(await run(ENTRY_POINTS[name], { JWT_SECRET, DATABASE_URL: '' }, cwd), /DATABASE_URL (is required|is not set)/);
  });

  it.each(Object.keys(ENTRY_POINTS))('%s: no PostgreSQL at DATABASE_URL is one line', async (name) => {
    const outcome = await run(ENTRY_POINTS[name], { JWT_SECRET, DATABASE_URL: `postgresql://postgres@127.0.0.1:${closedPort}/conduit` }, cwd);
    expectOneLine(outcome, new RegExp(`(cannot reach PostgreSQL|Can't reach database server).*127\\.0\\.0\\.1:${closedPort}`));
  });

  it.each(Object.keys(ENTRY_POINTS))('%s: a DATABASE_URL that is not postgresql:// is one line', async (name) => {
    expectOneLine(await run(ENTRY_POINTS[name], { JWT_SECRET, DATABASE_URL: 'mysql://root@localhost/conduit' }, cwd), /DATABASE_URL must be a postgresql:\/\/ connection string/);
  });

  it('a REDIS_URL that is not redis:// is one line', async () => {
    const outcome = await run(ENTRY_POINTS.api, { JWT_SECRET, DATABASE_URL: process.env.DATABASE_URL!, REDIS_URL: 'localhost:6379' }, cwd);
    expectOneLine(outcome, /REDIS_URL must be a redis:\/\/ connection string/);
  });

  it('the api without Redis starts and warns once, without a stack trace', async () => {
    const api = await startApi({ REDIS_URL: `redis://127.0.0.1:${closedPort}` });
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    // Redis is optional for the api's answers (cache and rate limits step aside): it keeps serving.
    expect((await fetch(`${api.url}/api/tags`)).status).toBe(200);
    const output = api.output();
    expect(output).toMatch(/Redis unavailable for the queues: connect ECONNREFUSED/);
    expect(output.match(/Redis unavailable for the queues/g)).toHaveLength(1);
    expect(output).not.toMatch(/^\s+at /m);
    await api.stop();
  }, 60_000);

  it('the migrations read .env from the working folder, where the environment wins and empty means unset', async () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'conduit-dotenv-'));
    try {
      writeFileSync(path.join(folder, '.env'), `DATABASE_URL=${process.env.DATABASE_URL}\nELASTICSEARCH_NODE=\nMAIL_URL=\n`);
      const migrated = await run(ENTRY_POINTS.migrations, { DATABASE_URL: '' }, folder);
      expect(migrated).toMatchObject({ code: 0, stdout: expect.stringMatching(/No pending migrations|Applied/) });
      const overridden = await run(ENTRY_POINTS.migrations, { DATABASE_URL: `postgresql://postgres@127.0.0.1:${closedPort}/conduit` }, folder);
      expectOneLine(overridden, new RegExp(`127\\.0\\.0\\.1:${closedPort}`));
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  }, 120_000);

  it('the api runs with every optional setting empty (ELASTICSEARCH_NODE= means PostgreSQL search)', async () => {
    const api = await startApi({ ELASTICSEARCH_NODE: '', MAIL_URL: '', METRICS_TOKEN: '', METRICS_PORT: '', STORAGE_S3_ENDPOINT: '', APP_VERSION: '', TRUST_PROXY: '' });
    const articles = await fetch(`${api.url}/api/articles?limit=1`);
    expect(articles.status).toBe(200);
    const health = (await (await fetch(`${api.url}/health/ready`)).json()) as { info?: Record<string, unknown> };
    expect(JSON.stringify(health)).not.toMatch(/elasticsearch/i);
    expect(api.output()).not.toMatch(/Invalid URL/);
    await api.stop();
  }, 60_000);
});
