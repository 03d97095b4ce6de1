#!/usr/bin/env node
// `npm run test:generator`: proves that generated features build, lint clean and pass their own
// tests with no edit, in a throwaway copy of the project (this checkout is never touched):
//
//   1. copies the project to a temporary folder (without node_modules, which is linked, and
//      without .git, dist, .tmp, coverage and the generated Prisma client)
//   2. generates three features: `sample-bookmarks` with every option (--searchable --queue
//      sample-bookmark-jobs) and `sample-reading-lists --no-cache` with `npm run generate:feature`,
//      and `sample-notes` with plain `nest g feature sample-notes` (names no real feature takes, so
//      that the check also passes after `bookmarks` was generated into the project)
//   3. checks the migrations: `db:migrate:create` finds nothing left to migrate (the snapshot
//      follows the schema), and the SQL the schematic wrote for `sample-bookmarks` is the SQL that
//      Prisma's engine derives from the schema change
//   4. prisma generate, tsc over the whole project, eslint over every generated or edited file
//   5. on a fresh, migrated test database (TEST_DATABASE_URL, default `<db>_generator_test`):
//      the generated e2e tests of the three features (their unit tests run with `npm test`
//      once a feature is generated in the project; tsc and eslint cover them here)
//   6. deletes the copy, whatever happened (unless KEEP_GENERATED is set, to look at the code)
//
// Arguments after `--` go to Jest (test-all.mjs passes --json --outputFile=...).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const jestArgs = process.argv.slice(2);
const EXCLUDED = new Set(['node_modules', '.git', 'dist', '.tmp', 'coverage', path.join('src', 'generated')]);
const SNAPSHOT = 'prisma/migrations/.schema-snapshot.prisma';

const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;
const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'conduit-generator-'));

class StepFailed extends Error {}

/** Runs a command in the copy; throws with its output when it fails. */
function run(what, program, args, { env = {}, quiet = false } = {}) {
  console.log(`\n── ${what} (${elapsed()})`);
  const result = spawnSync(program === 'node' ? process.execPath : program, args, {
    cwd: copy,
    env: { ...process.env, ...env },
    stdio: quiet ? 'pipe' : 'inherit',
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    if (quiet) process.stderr.write(`${result.stdout}${result.stderr}`);
    throw new StepFailed(`${what} failed (exit ${result.status ?? result.signal})`);
  }
  return quiet ? `${result.stdout}${result.stderr}` : '';
}

function copyProject() {
  fs.cpSync(root, copy, {
    recursive: true,
    filter: (source) => !EXCLUDED.has(path.relative(root, source)),
  });
  // Linked, not copied: the same packages, and `conduit-schematics` resolves to the same collection.
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(copy, 'node_modules'), 'dir');
}

function migrationOf(feature) {
  const dir = fs.readdirSync(path.join(copy, 'prisma/migrations')).find((name) => name.endsWith(`_add_${feature}`));
  if (!dir) throw new StepFailed(`no migration folder *_add_${feature} was generated`);
  return path.join(copy, 'prisma/migrations', dir);
}

let failure;
try {
  copyProject();
  console.log(`check-feature-generator: project copied to ${copy}`);
  const databaseUrl = process.env.DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/conduit';
  const testUrl = new URL(process.env.TEST_DATABASE_URL || databaseUrl);
  if (!process.env.TEST_DATABASE_URL) testUrl.pathname = `${testUrl.pathname}_generator_test`;
  const testDb = { DATABASE_URL: databaseUrl, TEST_DATABASE_URL: testUrl.toString() };
  const originalSnapshot = fs.readFileSync(path.join(copy, SNAPSHOT), 'utf8');

  run('generate sample-bookmarks --searchable --queue sample-bookmark-jobs', 'npm', ['run', '-s', 'generate:feature', '--', 'sample-bookmarks', '--searchable', '--queue', 'sample-bookmark-jobs']);

  // The engine's SQL for the same change: diff the snapshot as it was before against the schema.
  const generatedSql = fs.readFileSync(path.join(migrationOf('sample_bookmarks'), 'migration.sql'), 'utf8');
  const snapshotPath = path.join(copy, SNAPSHOT);
  fs.writeFileSync(snapshotPath, originalSnapshot);
  const created = run('the engine derives the migration for the same change', 'node', ['scripts/with-test-db.mjs', 'node', 'scripts/prisma-migrate.mjs', 'create', 'engine_check'], {
    env: testDb,
    quiet: true,
  });
  const engineDir = fs.readdirSync(path.join(copy, 'prisma/migrations')).find((name) => name.endsWith('_engine_check'));
  if (!engineDir) throw new StepFailed(`the engine found no change to migrate:\n${created}`);
  const engineSql = fs.readFileSync(path.join(copy, 'prisma/migrations', engineDir, 'migration.sql'), 'utf8');
  fs.rmSync(path.join(copy, 'prisma/migrations', engineDir), { recursive: true });
  if (engineSql.trim() !== generatedSql.trim()) {
    throw new StepFailed(`the generated migration differs from the engine's:\n--- generated\n${generatedSql}\n--- engine\n${engineSql}`);
  }
  console.log('   the generated migration is the SQL the engine derives');

  run('generate sample-reading-lists --no-cache', 'npm', ['run', '-s', 'generate:feature', '--', 'sample-reading-lists', '--no-cache']);
  run('nest g feature sample-notes', 'npm', ['exec', '--', 'nest', 'g', 'feature', 'sample-notes']);

  const pending = run('db:migrate:create finds nothing left to migrate', 'node', ['scripts/with-test-db.mjs', 'node', 'scripts/prisma-migrate.mjs', 'create', 'leftover'], {
    env: testDb,
    quiet: true,
  });
  if (!pending.includes('No schema changes')) throw new StepFailed(`the snapshot does not follow the schema:\n${pending}`);

  run('prisma generate', 'npm', ['run', '-s', 'prisma:generate']);
  run('tsc --noEmit', 'node', ['node_modules/typescript/bin/tsc', '--noEmit', '-p', 'tsconfig.json']);
  run('eslint on the generated and edited files', 'node', [
    'node_modules/eslint/bin/eslint.js',
    'src/modules/sample-bookmarks',
    'src/modules/sample-reading-lists',
    'src/modules/sample-notes',
    'test/e2e/sample-bookmarks.e2e-spec.ts',
    'test/e2e/sample-reading-lists.e2e-spec.ts',
    'test/e2e/sample-notes.e2e-spec.ts',
    'src/app.module.ts',
    'src/worker.module.ts',
    'src/infra/queue/queues.ts',
  ]);
  run('the generated tests, on a fresh test database', 'node', [
    'scripts/with-test-db.mjs',
    'node',
    '--experimental-vm-modules',
    'node_modules/jest/bin/jest.js',
    'test/e2e/sample-bookmarks.e2e-spec.ts',
    'test/e2e/sample-reading-lists.e2e-spec.ts',
    'test/e2e/sample-notes.e2e-spec.ts',
    '--selectProjects',
    'e2e',
    '--runInBand',
    ...jestArgs,
  ], { env: testDb });
} catch (error) {
  failure = error;
} finally {
  if (process.env.KEEP_GENERATED) console.log(`check-feature-generator: kept ${copy} (KEEP_GENERATED)`);
  else fs.rmSync(copy, { recursive: true, force: true });
}

if (failure) {
  console.error(`\ncheck-feature-generator: FAILED after ${elapsed()}: ${failure instanceof StepFailed ? failure.message : failure.stack}`);
  process.exit(1);
}
console.log(`\ncheck-feature-generator: generated features build, lint clean and pass their tests (${elapsed()})`);
