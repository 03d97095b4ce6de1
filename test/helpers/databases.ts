import { spawn } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';

const ROOT = path.resolve(__dirname, '..', '..');

/** DATABASE_URL with another database name. */
export function databaseUrl(name: string, base = process.env.DATABASE_URL): string {
  if (!base) throw new Error('DATABASE_URL must name the test database');
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}

async function onServer(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl('postgres'), connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function quoted(name: string): string {
  if (!/test/i.test(name)) throw new Error(`refusing to touch database "${name}": a test database's name must contain "test"`);
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * A database of its own on the test server (its name must contain "test"), dropped first if it
 * exists and migrated as a deployment's would be; resolves to its URL.
 */
export async function createMigratedDatabase(name: string): Promise<string> {
  await dropDatabase(name);
  await onServer(`CREATE DATABASE ${quoted(name)}`);
  const url = databaseUrl(name);
  const migrate = spawn(process.execPath, [path.join(ROOT, 'scripts', 'prisma-migrate.mjs'), 'deploy'], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: url },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  migrate.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  migrate.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => migrate.once('close', resolve));
  if (code !== 0) throw new Error(`migrating ${name} failed (${code}):\n${output}`);
  return url;
}

export async function dropDatabase(name: string): Promise<void> {
  await onServer(`DROP DATABASE IF EXISTS ${quoted(name)} WITH (FORCE)`);
}
