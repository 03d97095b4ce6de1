#!/usr/bin/env node
// Runs a command against a fresh, migrated test database:
//
//   node scripts/with-test-db.mjs <command...>        (npm run test:e2e, npm run test:newman)
//   node scripts/with-test-db.mjs --suffix=_integration_test <command...>   (npm run test:integration)
//
// 1. DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/conduit) names the server; the test
//    database is `<dbname>_test` on it (`<dbname><suffix>` with --suffix, so that a tier run
//    beside another never drops the other's database), or TEST_DATABASE_URL when set.
// 2. If PostgreSQL does not answer and a Docker engine is running, `docker compose up` starts the
//    postgres and redis services of docker-compose.yml (and, unless DATABASE_URL / REDIS_URL are set,
//    the tests use them); otherwise it stops with one line saying what to do.
// 3. Drops and recreates the test database, then applies the migrations (scripts/prisma-migrate.mjs).
// 4. Runs the command with DATABASE_URL pointing at the test database, NODE_ENV=test and a test-only
//    JWT_SECRET (unless one is set), and exits with the command's exit code.
//
// The test database is dropped on every run: this script refuses a database whose name does not
// contain "test", so that a mistyped TEST_DATABASE_URL cannot wipe real data.
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/conduit';
const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
// What docker-compose.yml publishes on the host (its ports and credentials).
const COMPOSE_DATABASE_URL = `postgresql://conduit:conduit@127.0.0.1:${process.env.POSTGRES_HOST_PORT || 55432}/conduit`;
const COMPOSE_REDIS_URL = `redis://127.0.0.1:${process.env.REDIS_HOST_PORT || 56379}`;
const TEST_JWT_SECRET = 'test-only-jwt-secret-not-for-any-real-deployment-0123456789';
const NOT_ANSWERING = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

function fail(message) {
  console.error(`with-test-db: ${message}`);
  process.exit(1);
}

/** The URL without its password, for messages. */
function shown(url) {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

function withDatabase(url, name) {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

function databaseName(url) {
  return decodeURIComponent(new URL(url).pathname.slice(1));
}

/** Runs `sql` on the server's maintenance database; resolves to the error when it cannot connect. */
async function onServer(url, ...statements) {
  const client = new pg.Client({ connectionString: withDatabase(url, 'postgres'), connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    for (const sql of statements) await client.query(sql);
    return null;
  } catch (error) {
    return error;
  } finally {
    await client.end().catch(() => {});
  }
}

async function postgresAnswers(url) {
  const error = await onServer(url, 'SELECT 1');
  if (!error) return true;
  const code = error.code ?? error.errors?.[0]?.code;
  if (NOT_ANSWERING.has(code) || /timeout/i.test(error.message)) return false;
  fail(`PostgreSQL at ${shown(url)} answered but refused us: ${error.message}`);
}

/** A running Docker engine, and the compose plugin to drive it. */
function dockerComposeAvailable() {
  const succeeds = (...args) => spawnSync('docker', args, { stdio: 'ignore', timeout: 10_000 }).status === 0;
  return succeeds('info', '--format', '{{.ServerVersion}}') && succeeds('compose', 'version');
}

function startComposeServices() {
  console.log('with-test-db: PostgreSQL does not answer; starting postgres and redis with docker compose');
  const result = spawnSync('docker', ['compose', 'up', '--detach', '--wait', 'postgres', 'redis'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) fail('`docker compose up --detach --wait postgres redis` failed (see above)');
}

const SUFFIX_OPTION = /^--suffix=(\w+)$/;
const suffixOption = SUFFIX_OPTION.exec(process.argv[2] ?? '');
const suffix = suffixOption?.[1] ?? '_test';
const command = process.argv.slice(suffixOption ? 3 : 2);
if (command.length === 0) fail('usage: node scripts/with-test-db.mjs [--suffix=_name_test] <command...>');

let databaseUrl = process.env.DATABASE_URL || DEFAULT_DATABASE_URL;
let redisUrl = process.env.REDIS_URL || DEFAULT_REDIS_URL;
if (!(await postgresAnswers(databaseUrl))) {
  if (!dockerComposeAvailable()) {
    fail(`PostgreSQL does not answer at ${shown(databaseUrl)}: start it (or Docker with compose), or set DATABASE_URL`);
  }
  startComposeServices();
  if (!process.env.DATABASE_URL) databaseUrl = COMPOSE_DATABASE_URL;
  if (!process.env.REDIS_URL) redisUrl = COMPOSE_REDIS_URL;
  if (!(await postgresAnswers(databaseUrl))) fail(`PostgreSQL still does not answer at ${shown(databaseUrl)}`);
}

const testUrl = process.env.TEST_DATABASE_URL || withDatabase(databaseUrl, `${databaseName(databaseUrl)}${suffix}`);
const testDatabase = databaseName(testUrl);
if (!/test/i.test(testDatabase)) fail(`refusing to drop database "${testDatabase}": a test database's name must contain "test"`);

const quoted = `"${testDatabase.replaceAll('"', '""')}"`;
const error = await onServer(testUrl, `DROP DATABASE IF EXISTS ${quoted} WITH (FORCE)`, `CREATE DATABASE ${quoted}`);
if (error) fail(`could not recreate database "${testDatabase}": ${error.message}`);

const env = {
  ...process.env,
  DATABASE_URL: testUrl,
  REDIS_URL: redisUrl,
  NODE_ENV: 'test',
  JWT_SECRET: process.env.JWT_SECRET || TEST_JWT_SECRET,
};
const migrate = spawnSync(process.execPath, [path.join(root, 'scripts/prisma-migrate.mjs'), 'deploy'], { cwd: root, env, stdio: 'inherit' });
if (migrate.status !== 0) fail(`migrating "${testDatabase}" failed (see above)`);
console.log(`with-test-db: ${shown(testUrl)} is fresh and migrated; running: ${command.join(' ')}`);

// `node` means the Node that runs this script (the project's pinned Node 24), whatever PATH says.
const [program, ...args] = command;
const child = spawn(program === 'node' ? process.execPath : program, args, { cwd: root, env, stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('error', (spawnError) => fail(`could not run ${program}: ${spawnError.message}`));
child.on('exit', (code) => process.exit(code ?? 1));
