// The `feature` schematic: a complete feature module in the layout of src/modules/* (see README,
// "Generating a feature"). Plain CommonJS, so that neither `nest g` nor CI needs a build step.
//
// Besides the templates in ./files it edits four shared files with small text insertions that
// fail loudly when the file no longer has the expected shape (rather than guessing):
//   prisma/schema.prisma (+ the migrations snapshot)  the model and its back-relation on User
//   prisma/migrations/<timestamp>_add_<table>/         the migration, as `db:migrate:create` writes it
//   src/app.module.ts, src/worker.module.ts            the module in the `imports` of @Module (the
//                                                      worker gets <Name>Module with --searchable, for
//                                                      its search source, and <Name>WorkerModule with --queue)
//   src/infra/queue/queues.ts                          the new queue (--queue) and `search` (--searchable),
//                                                      in QUEUES and with its worker concurrency
//   src/event-subscriptions.ts                         search's subscriptions to the feature's events (--searchable)
'use strict';

const { strings } = require('@angular-devkit/core');
const { SchematicsException, apply, applyTemplates, chain, filter, mergeWith, move, noop, url } = require('@angular-devkit/schematics');

const SCHEMA = 'prisma/schema.prisma';
const SNAPSHOT = 'prisma/migrations/.schema-snapshot.prisma';
const MIGRATIONS = 'prisma/migrations';
const APP_MODULE = 'src/app.module.ts';
const WORKER_MODULE = 'src/worker.module.ts';
const QUEUES_FILE = 'src/infra/queue/queues.ts';
const EVENT_SUBSCRIPTIONS = 'src/event-subscriptions.ts';
const KEBAB = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

function feature(options) {
  const names = featureNames(options);
  const templateOptions = { ...strings, ...names, cache: names.cache, searchable: names.searchable, queue: names.queue };
  const templates = apply(url('./files'), [
    filter((path) => wanted(path, names)),
    applyTemplates(templateOptions),
    move('.'),
  ]);
  return chain([
    refuseExisting(names),
    mergeWith(templates),
    addPrismaModel(names),
    addMigration(names),
    options.skipImport ? noop() : registerModule(APP_MODULE, `${names.Plural}Module`, `@/modules/${names.plural}/${names.plural}.module`),
    names.searchable ? addQueue('search', 'search', 'Index and delete documents in the search engine (outbox events `<feature>.changed` / `<feature>.deleted`).', 200) : noop(),
    names.searchable && !options.skipImport
      ? registerModule(WORKER_MODULE, `${names.Plural}Module`, `@/modules/${names.plural}/${names.plural}.module`)
      : noop(),
    names.searchable && !options.skipImport ? addSearchSubscriptions(names) : noop(),
    names.queue ? addQueue(names.queueKey, names.queue, `Jobs of the ${names.plural} feature.`, 4) : noop(),
    names.queue && !options.skipImport
      ? registerModule(WORKER_MODULE, `${names.Plural}WorkerModule`, `@/modules/${names.plural}/${names.plural}-worker.module`)
      : noop(),
  ]);
}

/** Every spelling of the feature's name the templates use, from `bookmarks` (or `reading-lists`). */
function featureNames(options) {
  const plural = String(options.name ?? '').trim();
  if (!KEBAB.test(plural)) throw new SchematicsException(`feature name "${plural}" must be kebab-case, plural (bookmarks, reading-lists)`);
  const singular = options.singular ? String(options.singular).trim() : singularOf(plural);
  if (!KEBAB.test(singular)) throw new SchematicsException(`singular "${singular}" must be kebab-case`);
  if (singular === plural) throw new SchematicsException(`name "${plural}" must be plural (or pass --singular)`);
  const queue = options.queue ? String(options.queue).trim() : undefined;
  if (queue !== undefined && !KEBAB.test(queue)) throw new SchematicsException(`queue "${queue}" must be kebab-case (bookmark-jobs)`);
  return {
    plural, // bookmarks: folder, route, file names
    singular, // bookmark: the error key, the envelope of one item
    Plural: strings.classify(plural), // BookmarksModule, BookmarksService
    Singular: strings.classify(singular), // the Prisma model, BookmarkDto
    pluralCamel: strings.camelize(plural), // the response key of a list, the User back-relation
    singularCamel: strings.camelize(singular), // the Prisma client accessor
    CONSTANT: strings.underscore(singular).toUpperCase(), // BOOKMARK_SELECT
    table: strings.underscore(plural), // the table
    title: plural.split('-').map(strings.capitalize).join(' '), // the Swagger tag
    cache: options.cache !== false,
    searchable: options.searchable === true,
    queue,
    queueKey: queue && strings.camelize(queue),
    Queue: queue && strings.classify(queue),
    QUEUE: queue && strings.underscore(queue).toUpperCase(), // BOOKMARK_JOBS_QUEUE: the queue's job table
    migration: `${timestamp()}_add_${strings.underscore(plural)}`,
  };
}

/** bookmarks -> bookmark, categories -> category, boxes -> box; anything else: pass --singular. */
function singularOf(plural) {
  if (plural.endsWith('ies')) return `${plural.slice(0, -3)}y`;
  if (/(s|x|z|ch|sh)es$/.test(plural)) return plural.slice(0, -2);
  if (plural.endsWith('s') && !plural.endsWith('ss')) return plural.slice(0, -1);
  return plural;
}

function timestamp() {
  return new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

/** Templates only for the options given: the cache tags, the search events, the queue's files. */
function wanted(path, names) {
  if (path.includes('cache-tags') && !names.cache) return false;
  if (path.includes('search-events') && !names.searchable) return false;
  if ((path.includes('__queue__') || path.includes('-worker.module')) && !names.queue) return false;
  return true;
}

function refuseExisting(names) {
  return (tree) => {
    if (tree.getDir(`src/modules/${names.plural}`).subfiles.length > 0) {
      throw new SchematicsException(`src/modules/${names.plural} already exists`);
    }
    const schema = read(tree, SCHEMA);
    if (new RegExp(`^model ${names.Singular} \\{`, 'm').test(schema)) {
      throw new SchematicsException(`${SCHEMA} already has a model ${names.Singular}`);
    }
    return tree;
  };
}

function read(tree, path) {
  const buffer = tree.read(path);
  if (!buffer) throw new SchematicsException(`${path} not found: run the generator at the root of the project`);
  return buffer.toString('utf8');
}

function prismaModel(names) {
  return `
/// The ${names.plural} feature (generated by the \`feature\` schematic).
model ${names.Singular} {
  id          Int      @id @default(autoincrement())
  title       String
  description String?
  ownerId     Int      @map("owner_id")
  createdAt   DateTime @default(now()) @map("created_at") @db.Timestamptz(3)
  updatedAt   DateTime @updatedAt @map("updated_at") @db.Timestamptz(3)

  owner User @relation(fields: [ownerId], references: [id], onDelete: Cascade)

  /// Newest first, for the whole list and for one owner's.
  @@index([createdAt(sort: Desc), id(sort: Desc)])
  @@index([ownerId, createdAt(sort: Desc), id(sort: Desc)])
  @@map("${names.table}")
}
`;
}

/** The model at the end of the schema, and its back-relation among User's relation fields. */
function withModel(schema, names, path) {
  const start = schema.search(/^model User \{/m);
  if (start < 0) throw new SchematicsException(`${path}: no "model User {" to relate the owner to`);
  const end = schema.indexOf('\n}', start);
  const block = schema.slice(start, end);
  // Before the block attributes (@@map ...) if any, after the last field otherwise.
  const attributes = block.search(/\n\s*\n\s*@@|\n\s*@@/);
  const at = start + (attributes >= 0 ? attributes : block.length);
  const field = `\n  ${names.pluralCamel} ${names.Singular}[]`;
  return `${schema.slice(0, at)}${field}${schema.slice(at).trimEnd()}\n${prismaModel(names)}`;
}

function addPrismaModel(names) {
  return (tree) => {
    tree.overwrite(SCHEMA, withModel(read(tree, SCHEMA), names, SCHEMA));
    // The snapshot is the schema as of the last migration: the same edit keeps it so, and any
    // earlier change not yet migrated stays pending for the next `npm run db:migrate:create`.
    if (tree.exists(SNAPSHOT)) tree.overwrite(SNAPSHOT, withModel(read(tree, SNAPSHOT), names, SNAPSHOT));
    return tree;
  };
}

/** The SQL `npm run db:migrate:create` writes for the model (checked against it in CI). */
function addMigration(names) {
  return (tree) => {
    const t = names.table;
    const sql = `-- CreateTable
CREATE TABLE "${t}" (
    "id" SERIAL NOT NULL,
    "title" TEXT NOT NULL,
    "description" TEXT,
    "owner_id" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "${t}_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "${t}_created_at_id_idx" ON "${t}"("created_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "${t}_owner_id_created_at_id_idx" ON "${t}"("owner_id", "created_at" DESC, "id" DESC);

-- AddForeignKey
ALTER TABLE "${t}" ADD CONSTRAINT "${t}_owner_id_fkey" FOREIGN KEY ("owner_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
`;
    tree.create(`${MIGRATIONS}/${names.migration}/migration.sql`, sql);
    return tree;
  };
}

/** `import { X } from '...'` after the last import, and X at the end of @Module's `imports` array. */
function registerModule(path, className, from) {
  return (tree) => {
    let source = read(tree, path);
    if (new RegExp(`\\b${className}\\b`).test(source)) throw new SchematicsException(`${path} already mentions ${className}`);
    const imports = [...source.matchAll(/^import [^;]+;$/gm)];
    if (imports.length === 0) throw new SchematicsException(`${path}: no import statements found`);
    const last = imports[imports.length - 1];
    const afterImports = last.index + last[0].length;
    source = `${source.slice(0, afterImports)}\nimport { ${className} } from '${from}';${source.slice(afterImports)}`;
    const open = source.search(/@Module\(\{[\s\S]*?\bimports:\s*\[/);
    if (open < 0) throw new SchematicsException(`${path}: no @Module({ imports: [...] }) found`);
    const bracket = source.indexOf('[', source.indexOf('imports:', open));
    const close = matchingBracket(source, bracket, path);
    const inside = source.slice(bracket + 1, close);
    const head = source.slice(0, bracket + 1) + inside.trimEnd();
    const tail = source.slice(bracket + 1 + inside.trimEnd().length);
    let insertion;
    if (inside.includes('\n')) {
      const indent = (inside.match(/\n([ \t]+)\S/) ?? [, '    '])[1];
      insertion = `${head.endsWith(',') || head.endsWith('[') ? '' : ','}\n${indent}${className},`;
    } else {
      insertion = inside.trim() ? `, ${className}` : className;
    }
    tree.overwrite(path, head + insertion + tail);
    return tree;
  };
}

function matchingBracket(source, open, path) {
  let depth = 0;
  for (let index = open; index < source.length; index += 1) {
    if (source[index] === '[') depth += 1;
    if (source[index] === ']' && --depth === 0) return index;
  }
  throw new SchematicsException(`${path}: unbalanced brackets in imports`);
}

/**
 * A queue in QUEUES (src/infra/queue/queues.ts) and its concurrency in QUEUE_CONCURRENCY (how many
 * of its jobs one worker runs at once), unless a queue of that name is there already.
 */
function addQueue(key, name, description, concurrency) {
  return (tree) => {
    let source = read(tree, QUEUES_FILE);
    const start = source.indexOf('export const QUEUES = {');
    const end = source.indexOf('} as const;', start);
    if (start < 0 || end < 0) throw new SchematicsException(`${QUEUES_FILE}: no "export const QUEUES = { ... } as const;" found`);
    const block = source.slice(start, end);
    if (new RegExp(`['"]${name}['"]`).test(block)) return tree;
    if (new RegExp(`\\b${key}:`).test(block)) throw new SchematicsException(`${QUEUES_FILE}: QUEUES.${key} exists with another name`);
    source = `${source.slice(0, end)}  /** ${description} */\n  ${key}: '${name}',\n${source.slice(end)}`;
    const concurrencyStart = source.indexOf('export const QUEUE_CONCURRENCY');
    const concurrencyEnd = source.indexOf('\n};', concurrencyStart);
    if (concurrencyStart < 0 || concurrencyEnd < 0) throw new SchematicsException(`${QUEUES_FILE}: no "export const QUEUE_CONCURRENCY ... = { ... };" found`);
    source = `${source.slice(0, concurrencyEnd)}\n  [QUEUES.${key}]: ${concurrency},${source.slice(concurrencyEnd)}`;
    tree.overwrite(QUEUES_FILE, source);
    return tree;
  };
}

/** `...searchFollows(<NAME>_EVENTS, <NAME>_SEARCH_TYPE)` in the list of every event subscription. */
function addSearchSubscriptions(names) {
  return (tree) => {
    let source = read(tree, EVENT_SUBSCRIPTIONS);
    const events = `${names.CONSTANT}_EVENTS`;
    if (new RegExp(`\\b${events}\\b`).test(source)) throw new SchematicsException(`${EVENT_SUBSCRIPTIONS} already mentions ${events}`);
    const imports = [...source.matchAll(/^import [^;]+;$/gm)];
    if (imports.length === 0) throw new SchematicsException(`${EVENT_SUBSCRIPTIONS}: no import statements found`);
    const added = [`import { ${events}, ${names.CONSTANT}_SEARCH_TYPE } from '@/modules/${names.plural}/${names.plural}.search-events';`];
    if (!/\bsearchFollows\b/.test(source)) added.push(`import { searchFollows } from '@/modules/search/feature-documents';`);
    const last = imports[imports.length - 1];
    const afterImports = last.index + last[0].length;
    source = `${source.slice(0, afterImports)}\n${added.join('\n')}${source.slice(afterImports)}`;
    const list = source.indexOf('export const EVENT_SUBSCRIPTIONS');
    if (list < 0) throw new SchematicsException(`${EVENT_SUBSCRIPTIONS}: no "export const EVENT_SUBSCRIPTIONS ... = [...]" found`);
    const open = source.indexOf('[', source.indexOf('=', list));
    const close = matchingBracket(source, open, EVENT_SUBSCRIPTIONS);
    const inside = source.slice(open + 1, close).trimEnd();
    const entry = `...searchFollows(${events}, ${names.CONSTANT}_SEARCH_TYPE)`;
    source = `${source.slice(0, open + 1)}${inside}${inside.trim() ? ', ' : ''}${entry}${source.slice(close)}`;
    tree.overwrite(EVENT_SUBSCRIPTIONS, source);
    return tree;
  };
}

module.exports = { feature, singularOf };
