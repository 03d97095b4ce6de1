// What the benchmark scripts share: the bench database (created, migrated and filled once), api
// processes started on it, and the worker benchmarks' own database and throwaway Redis.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { freePort } from '../test/helpers/local-servers.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const BENCH_DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/conduit_bench';

/** Creates and migrates the database if needed, fills it once, and refreshes its statistics. */
export async function ensureBenchDatabase(databaseUrl = BENCH_DATABASE_URL) {
  const url = new URL(databaseUrl);
  const name = url.pathname.slice(1);
  url.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: url.toString() });
  await admin.connect();
  const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  if (!rowCount) await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  execFileSync(process.execPath, [path.join(root, 'scripts/prisma-migrate.mjs'), 'deploy'], {
    env: { ...process.env, DATABASE_URL: databaseUrl },
    stdio: 'inherit',
  });
  // Loaded here: the generator needs the build, which the worker benchmarks do not ask of this file.
  const { generateBenchData } = await import('./generate-data.mjs');
  const { created } = await generateBenchData({ databaseUrl });
  // Fresh statistics and visibility map, as autovacuum would keep them on a live database
  // (migrations that rewrite rows leave neither). Once, after generating: the tables compacted,
  // since the generator updates every article after inserting it (tags, counts, search versions)
  // and would leave them three times their size, which table sizes would then report.
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query(created ? 'VACUUM (FULL, ANALYZE)' : 'VACUUM ANALYZE');
  await client.end();
}

/** `node --require`s this into a child to count its PostgreSQL statements (see instrument.cjs). */
const INSTRUMENT = path.join(root, 'bench/instrument.cjs');

/**
 * Starts the built api on `databaseUrl` with `env`; resolves once it answers (within a minute: a
 * loaded machine starts it slowly). `port` defaults to a free one. With `instrument`, the child
 * counts its PostgreSQL statements and answers `askChild` (see instrument.cjs).
 */
export async function startBenchApi(databaseUrl, env = {}, { port, instrument = false, entry = process.env.BENCH_API_ENTRY ?? path.join(root, 'dist/src/main.js') } = {}) {
  port ??= await freePort();
  const child = spawn(process.execPath, [...(instrument ? ['--require', INSTRUMENT] : []), entry], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      JWT_SECRET: process.env.JWT_SECRET ?? 'bench-secret-bench-secret-bench-secret',
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
      // The load comes from one address: rate limits would answer most of it with 429.
      RATE_LIMIT_ENABLED: 'false',
      ...env,
    },
    stdio: ['ignore', 'inherit', 'inherit', ...(instrument ? ['ipc'] : [])],
  });
  const base = `http://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 300; attempt += 1) {
    if (child.exitCode !== null) throw new Error(`the api exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${base}/api/tags`)).ok) return { base, child };
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  child.kill('SIGKILL');
  throw new Error('the api did not start');
}

/** Sends `message` to an instrumented child (see instrument.cjs) and resolves to its answer. */
export function askChild(child, message, timeoutMs = 10_000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.off('message', onMessage);
      reject(new Error(`no answer to ${message.capacity} from process ${child.pid}`));
    }, timeoutMs);
    const onMessage = (answer) => {
      if (answer?.capacity !== message.capacity) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(answer);
    };
    child.on('message', onMessage);
    child.send(message);
  });
}

/** Stops a child: SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
export async function stopChild(child, graceMs = 5_000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  if (child.connected) child.disconnect();
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** CPU time (user + system, every thread) a process has used so far, in ms, from /proc; 0 when it is gone. */
export function processCpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may hold spaces: utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` every 20 ms until it holds; throws after `timeoutMs`. */
export async function waitUntil(what, timeoutMs, check) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/**
 * A worker benchmark's own database: created if missing, migrated, `tables` emptied. Resolves to
 * a pool on it. `variable` names the setting that chose the URL, for the refusal message.
 */
export async function freshBenchDatabase(databaseUrl, { variable, tables, max = 4 }) {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  if (name === 'conduit') throw new Error(`refusing to run on the \`conduit\` database: set ${variable}`);
  url.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: url.toString() });
  await admin.connect();
  const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  if (!rowCount) await admin.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
  await admin.end();
  execFileSync(process.execPath, [path.join(root, 'scripts/prisma-migrate.mjs'), 'deploy'], {
    env: { ...process.env, DATABASE_URL: databaseUrl },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const pool = new pg.Pool({ connectionString: databaseUrl, max });
  pool.on('error', () => undefined);
  await pool.query(`TRUNCATE ${tables.join(', ')} RESTART IDENTITY CASCADE`);
  return pool;
}

function redisAnswers(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const done = (answer) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(300, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

/** A throwaway redis-server on `port` (default: a free one), added to `children` for the caller to stop; resolves to its URL. */
export async function startThrowawayRedis(children, { port } = {}) {
  port ??= await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  children.add(child);
  await waitUntil('redis-server', 5_000, () => {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode} (port ${port} taken?)`);
    return redisAnswers(port);
  });
  return `redis://127.0.0.1:${port}`;
}

/**
 * Starts the built worker (dist/src/worker.js) with `env` (added to `children`); resolves once it
 * reports that it started. With `instrument`, as for startBenchApi.
 */
export async function startWorker(env, children, { instrument = false } = {}) {
  const child = spawn(process.execPath, [...(instrument ? ['--require', INSTRUMENT] : []), path.join(root, 'dist/src/worker.js')], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'warn', NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe', ...(instrument ? ['ipc'] : [])],
  });
  children.add(child);
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  await waitUntil('the worker to start', 30_000, () => {
    if (child.exitCode !== null) throw new Error(`the worker exited:\n${output}`);
    return output.includes('Conduit worker started');
  });
  return { child, output: () => output };
}

/**
 * An SMTP server in this process that records when each mail arrived (the 250 goes out right
 * after, or `delayMs` later), on `port` (default: a free one). Arrivals are keyed by the mail's
 * key within its deployment (`welcome.42` of `<welcome.42.<deployment tag>@domain>`).
 */
export async function startSmtpSink({ port = 0, delayMs = 0 } = {}) {
  const { SMTPServer } = await import('smtp-server');
  const arrivals = new Map();
  let duplicates = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    closeTimeout: 100,
    onData(stream, _session, callback) {
      const chunks = [];
      stream.on('data', (chunk) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('latin1');
        const headers = raw.slice(0, raw.search(/\r?\n\r?\n/));
        const found = /^Message-ID:\s*(<[^>]+>)/im.exec(headers)?.[1];
        const messageId = found && (/^<(.+)\.[0-9a-f]{12}@[^>]+>$/.exec(found)?.[1] ?? found);
        const answer = () => {
          if (messageId) {
            if (arrivals.has(messageId)) duplicates += 1;
            else arrivals.set(messageId, performance.timeOrigin + performance.now());
          }
          callback();
        };
        if (delayMs > 0) setTimeout(answer, delayMs);
        else answer();
      });
    },
  });
  server.on('error', () => undefined);
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `smtp://127.0.0.1:${server.server.address().port}`,
    arrivals,
    duplicates: () => duplicates,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Users `from`..`to` (inclusive), inserted directly, as mail recipients: `bench<i>@mail.bench`. */
export async function createUsers(pool, from, to) {
  await pool.query(
    `INSERT INTO users (id, email, username, password_hash, updated_at)
     SELECT i, 'bench' || i || '@mail.bench', 'bench' || i, 'not-a-hash', now() FROM generate_series($1::int, $2::int) AS i`,
    [from, to],
  );
}

/**
 * A 4000x3000 photo-like JPEG (smooth gradients with fine grain, quality 90, with an EXIF block),
 * so that it compresses like a camera picture (a few MB) rather than like a flat colour.
 */
export async function twelveMegapixelJpeg() {
  const { default: sharp } = await import('sharp');
  const width = 4000;
  const height = 3000;
  const pixels = Buffer.alloc(width * height * 3);
  let seed = 42;
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      const grain = (seed >> 16) % 24;
      const offset = (y * width + x) * 3;
      pixels[offset] = ((x * 255) / width) * 0.8 + grain;
      pixels[offset + 1] = ((y * 255) / height) * 0.7 + grain;
      pixels[offset + 2] = 128 + 100 * Math.sin((x + y) / 150) * 0.5 + grain;
    }
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 90 })
    .withExif({ IFD0: { Make: 'Bench', Model: 'Camera' } })
    .withMetadata({ orientation: 1 })
    .toBuffer();
}
