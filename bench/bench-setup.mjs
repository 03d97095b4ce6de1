// What the benchmark scripts share: the bench database (created, migrated and filled once) and
// api processes started on it.
import { execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { generateBenchData } from './generate-data.mjs';
import { freePort } from './free-port.mjs';

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
  await generateBenchData({ databaseUrl });
  // Fresh statistics and visibility map, as autovacuum would keep them on a live database
  // (migrations that rewrite rows leave neither).
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query('VACUUM ANALYZE');
  await client.end();
}

/** Starts the built api on `databaseUrl` with `env` on a free port; resolves once it answers. */
export async function startBenchApi(databaseUrl, env = {}) {
  const port = await freePort();
  const child = spawn(process.execPath, [process.env.BENCH_API_ENTRY ?? path.join(root, 'dist/src/main.js')], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      JWT_SECRET: process.env.JWT_SECRET ?? 'bench-secret-bench-secret-bench-secret',
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
      ...env,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 100; attempt += 1) {
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
