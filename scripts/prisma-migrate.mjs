#!/usr/bin/env node
// Prisma migrations without Prisma's native schema engine.
//
// The Prisma CLI downloads a native schema engine on first use; behind a firewall (and on our CI
// machine) that download fails. Prisma publishes the same engine compiled to WebAssembly on npm
// (@prisma/schema-engine-wasm); driven through the pg driver adapter it applies and diagnoses
// migrations exactly as `prisma migrate deploy` / `status` do: same `_prisma_migrations` rows and
// checksums, so the stock CLI can take over wherever its download works.
//
//   node scripts/prisma-migrate.mjs deploy          apply every pending migration
//   node scripts/prisma-migrate.mjs status          list applied/pending, report drift; exit 1 if not up to date
//   node scripts/prisma-migrate.mjs create <name>   write prisma/migrations/<timestamp>_<name>/migration.sql
//
// `create` cannot ask the engine to diff a live or shadow database (the adapter offers no shadow
// database, and introspection of a live one fails), so it diffs a snapshot of schema.prisma, taken
// at the previous `create`, against the current schema. Apply the new migration to a scratch
// database and run `status` to check it.
//
// Both packages are pinned: the engine's interface is internal to Prisma.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import * as wasmBindings from '@prisma/schema-engine-wasm/schema_engine_bg';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const schemaPath = path.join(root, 'prisma/schema.prisma');
const migrationsDir = path.join(root, 'prisma/migrations');
const snapshotPath = path.join(migrationsDir, '.schema-snapshot.prisma');
const lockPath = path.join(migrationsDir, 'migration_lock.toml');
const filters = { externalTables: [], externalEnums: [] };

function fail(message) {
  console.error(`db: ${message}`);
  process.exit(1);
}

// As the api, worker and cli read it (src/config/env-file.ts): `.env` if present, the environment
// winning, and an empty value meaning "not set".
function loadEnvFile() {
  const dropEmpty = () => Object.keys(process.env).forEach((name) => process.env[name] === '' && delete process.env[name]);
  dropEmpty();
  if (fs.existsSync('.env')) process.loadEnvFile('.env');
  dropEmpty();
}

function loadEngine() {
  const wasmPath = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg').replace(/\.js$/, '.wasm');
  const module = new WebAssembly.Module(fs.readFileSync(wasmPath));
  const imports = {};
  for (const entry of WebAssembly.Module.imports(module)) imports[entry.module] ??= wasmBindings;
  const instance = new WebAssembly.Instance(module, imports);
  wasmBindings.__wbg_set_wasm(instance.exports);
  instance.exports.__wbindgen_start?.();
  return wasmBindings.SchemaEngine;
}

function migrationDirectories() {
  if (!fs.existsSync(migrationsDir)) return [];
  return fs
    .readdirSync(migrationsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

function migrationsList() {
  return {
    baseDir: migrationsDir,
    lockfile: {
      path: 'migration_lock.toml',
      content: fs.existsSync(lockPath) ? fs.readFileSync(lockPath, 'utf8') : null,
    },
    shadowDbInitScript: '',
    migrationDirectories: migrationDirectories().map((name) => {
      const file = path.join(migrationsDir, name, 'migration.sql');
      return {
        path: name,
        migrationFile: {
          path: 'migration.sql',
          content: fs.existsSync(file)
            ? { tag: 'ok', value: fs.readFileSync(file, 'utf8') }
            : { tag: 'error', value: 'missing migration.sql' },
        },
      };
    }),
  };
}

async function openEngine(url) {
  const { PrismaPg } = require('@prisma/adapter-pg');
  const { bindMigrationAwareSqlAdapterFactory } = require('@prisma/driver-adapter-utils');
  const parsed = new URL(url);
  const schema = parsed.searchParams.get('schema') ?? undefined;
  parsed.searchParams.delete('schema');
  const factory = new PrismaPg({ connectionString: parsed.toString() }, schema ? { schema } : undefined);
  sendScriptsWhole(factory);
  const SchemaEngine = loadEngine();
  return SchemaEngine.new(
    { datamodels: [[schemaPath, fs.readFileSync(schemaPath, 'utf8')]] },
    (log) => process.env.DEBUG_SCHEMA_ENGINE && console.error('[schema-engine]', log),
    bindMigrationAwareSqlAdapterFactory(factory),
  );
}

/**
 * The pg adapter runs a migration script by splitting it on every `;`, which cuts a function
 * body (`$$ ... ; ... $$`) in pieces. PostgreSQL takes a whole multi-statement script in one
 * simple query (run as one implicit transaction), so send it as it is.
 */
function sendScriptsWhole(factory) {
  const connect = factory.connect.bind(factory);
  factory.connect = async () => {
    const adapter = await connect();
    adapter.executeScript = async (script) => {
      try {
        await adapter.underlyingDriver().query(script);
      } catch (error) {
        adapter.onError(error);
      }
    };
    return adapter;
  };
}

function timestamp() {
  return new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

async function create(engine, name) {
  if (!name || !/^[a-z0-9_]+$/.test(name)) fail('create needs a name of lower-case letters, digits and _');
  const current = fs.readFileSync(schemaPath, 'utf8');
  const from = fs.existsSync(snapshotPath)
    ? { tag: 'schemaDatamodel', files: [{ path: schemaPath, content: fs.readFileSync(snapshotPath, 'utf8') }] }
    : { tag: 'empty' };
  const out = await engine.diff({
    from,
    to: { tag: 'schemaDatamodel', files: [{ path: schemaPath, content: current }] },
    script: true,
    exitCode: null,
    filters,
  });
  const script = (out.stdout ?? '').trim();
  if (!script || script.startsWith('-- This is an empty migration')) {
    console.log('No schema changes; no migration created.');
    return;
  }
  const dir = path.join(migrationsDir, `${timestamp()}_${name}`);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'migration.sql'), `${script}\n`);
  if (!fs.existsSync(lockPath)) {
    fs.writeFileSync(
      lockPath,
      '# Please do not edit this file manually\n# It should be added in your version-control system (e.g., Git)\nprovider = "postgresql"\n',
    );
  }
  fs.writeFileSync(snapshotPath, current);
  console.log(`Created ${path.relative(root, dir)}/migration.sql`);
}

async function deploy(engine) {
  const out = await engine.applyMigrations({ migrationsList: migrationsList(), filters });
  const applied = out.appliedMigrationNames;
  console.log(applied.length ? `Applied ${applied.length} migration(s): ${applied.join(', ')}` : 'No pending migrations.');
}

async function status(engine) {
  const out = await engine.diagnoseMigrationHistory({
    migrationsList: migrationsList(),
    optInToShadowDatabase: false,
    filters,
  });
  const known = migrationDirectories();
  const pending = out.history?.tag === 'databaseIsBehind' ? out.history.unappliedMigrationNames : [];
  const problems = [];
  if (out.history && out.history.tag !== 'databaseIsBehind') problems.push(`history: ${JSON.stringify(out.history)}`);
  if (out.failedMigrationNames?.length) problems.push(`failed: ${out.failedMigrationNames.join(', ')}`);
  if (out.editedMigrationNames?.length) problems.push(`edited after applying: ${out.editedMigrationNames.join(', ')}`);
  if (out.drift) problems.push(`drift: ${JSON.stringify(out.drift)}`);
  console.log(`${known.length} migration(s) in prisma/migrations; ${pending.length} pending.`);
  for (const name of pending) console.log(`  pending: ${name}`);
  for (const problem of problems) console.log(`  ${problem}`);
  if (pending.length || problems.length) process.exitCode = 1;
  else console.log('Database schema is up to date.');
}

const [command, name] = process.argv.slice(2);
const commands = { create, deploy, status };
if (!commands[command]) {
  console.error('usage: prisma-migrate.mjs deploy | status | create <name>');
  process.exit(2);
}
loadEnvFile();
const url = process.env.DATABASE_URL;
if (!url) fail('DATABASE_URL is not set (in the environment or .env; see .env.example)');
if (!/^postgres(ql)?:\/\//.test(url)) fail('DATABASE_URL must be a postgresql:// connection string (see .env.example)');

let engine;
try {
  engine = await openEngine(url);
  await commands[command](engine, name);
} catch (error) {
  // One line: the engine's messages add advice on further lines ("Please make sure your database server is running").
  fail(`${command} failed: ${String(error?.message ?? error).split('\n').find((line) => line.trim())}`);
} finally {
  engine?.free?.();
}
process.exit(process.exitCode ?? 0);
