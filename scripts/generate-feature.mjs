#!/usr/bin/env node
// Generates a feature module with every option of the `feature` schematic (schematics/feature):
//
//   npm run generate:feature -- <name> [--singular <word>] [--no-cache] [--searchable] [--queue <name>]
//                                      [--skip-import] [--dry-run]
//
//   npm run generate:feature -- bookmarks --searchable --queue bookmark-jobs
//
// `nest g feature <name>` runs the same schematic, but the Nest CLI refuses options it does not
// know itself (--searchable, --queue, --no-cache), so this script hands them to the Angular
// schematics CLI that the Nest CLI uses underneath. Afterwards it regenerates the Prisma client,
// so that the new model type-checks at once.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const usage =
  'usage: npm run generate:feature -- <name> [--singular <word>] [--no-cache] [--searchable] [--queue <name>] [--skip-import] [--dry-run]';

let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    allowNegative: true,
    options: {
      singular: { type: 'string' },
      cache: { type: 'boolean', default: true },
      searchable: { type: 'boolean', default: false },
      queue: { type: 'string' },
      'skip-import': { type: 'boolean', default: false },
      'dry-run': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
} catch (error) {
  console.error(`generate-feature: ${error.message}\n${usage}`);
  process.exit(2);
}
const { values, positionals } = parsed;
if (values.help) {
  console.log(usage);
  process.exit(0);
}
if (positionals.length !== 1) {
  console.error(`generate-feature: give exactly one feature name (plural, kebab-case)\n${usage}`);
  process.exit(2);
}

// Booleans as bare flags: the schematics CLI reads `--flag=false` as the string "false".
const schematicArgs = [
  `${path.join(root, 'schematics/collection.json')}:feature`,
  `--name=${positionals[0]}`,
  // A collection given by path runs in debug mode, which means a dry run unless told otherwise.
  '--no-debug',
  values['dry-run'] ? '--dry-run' : '--no-dry-run',
  '--no-interactive',
  ...(values.cache ? [] : ['--no-cache']),
  ...(values.searchable ? ['--searchable'] : []),
  ...(values['skip-import'] ? ['--skip-import'] : []),
  ...(values.singular ? [`--singular=${values.singular}`] : []),
  ...(values.queue ? [`--queue=${values.queue}`] : []),
];
const cli = require.resolve('@angular-devkit/schematics-cli/bin/schematics.js');
const run = (args) => spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' }).status ?? 1;

const generated = run([cli, ...schematicArgs]);
if (generated !== 0) process.exit(generated);
if (values['dry-run']) process.exit(0);
process.exit(run([path.join(root, 'scripts/prisma-generate.mjs')]));
