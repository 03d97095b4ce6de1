import * as argon2 from 'argon2';
import { ARGON2_OPTIONS } from '@/common/auth/password-hasher';
import type { PrismaClient } from '@/generated/prisma/client';

/**
 * The one generator of Conduit's sample data: `cli seed`, `npm run db:seed` and the benchmarks
 * (bench/generate-data.mjs) all call `generateData`.
 *
 * Rows are written by set-based SQL (`generate_series`), in chunks so that progress can be shown
 * and no statement runs for long. Everything is derived from the row's number and the seed through
 * PostgreSQL's `hashint8extended`, never from `random()` or the clock, so one seed gives the same
 * data set on an empty database every time. Rows go in through plain INSERTs: defaults, generated
 * columns and triggers (the search document, for instance) fill themselves as for any other write.
 * Outbox events are not written: seeding sends no mail.
 */

export interface SeedSizes {
  users: number;
  articles: number;
  /** Distinct (user, article) pairs; capped at users x articles. */
  favorites: number;
  comments: number;
  tags: number;
  tagsPerArticle: number;
  followsPerUser: number;
}

export const SEED_SIZE_NAMES = ['small', 'medium', 'large', 'bench'] as const;
export type SeedSizeName = (typeof SEED_SIZE_NAMES)[number];

export const SEED_SIZES: Record<SeedSizeName, SeedSizes> = {
  /** A demo data set to click through (`npm run db:seed`). */
  small: { users: 10, articles: 40, favorites: 100, comments: 80, tags: 12, tagsPerArticle: 3, followsPerUser: 3 },
  medium: { users: 500, articles: 5_000, favorites: 15_000, comments: 10_000, tags: 30, tagsPerArticle: 3, followsPerUser: 10 },
  large: { users: 2_000, articles: 20_000, favorites: 60_000, comments: 40_000, tags: 50, tagsPerArticle: 3, followsPerUser: 20 },
  /** The benchmark data set (bench/run.mjs). */
  bench: { users: 10_000, articles: 100_000, favorites: 300_000, comments: 200_000, tags: 50, tagsPerArticle: 3, followsPerUser: 20 },
};

/** Every generated user's password. Sample data only: never seed a production database. */
export const SEED_PASSWORD = 'conduit-seed';
export const SEED_EMAIL_DOMAIN = 'seed.example';
export const DEFAULT_SEED = 1;

/** The n-th generated user's username (n from 1). */
export function seedUsername(n: number): string {
  return `user${n}`;
}

/** The n-th generated user's email (n from 1). */
export function seedEmail(n: number): string {
  return `${seedUsername(n)}@${SEED_EMAIL_DOMAIN}`;
}

/** Tag names, in order: a data set with `tags: n` uses the first n (numbered beyond the list). */
export const SEED_TAG_NAMES = [
  'javascript', 'typescript', 'nestjs', 'node', 'postgres', 'redis', 'docker', 'testing', 'security', 'design',
  'architecture', 'performance', 'devops', 'frontend', 'backend', 'databases', 'cloud', 'linux', 'git', 'api',
  'graphql', 'rest', 'queues', 'caching', 'search', 'monitoring', 'logging', 'css', 'html', 'react',
  'angular', 'vue', 'rust', 'go', 'python', 'java', 'kotlin', 'swift', 'mobile', 'ai',
  'data', 'career', 'opensource', 'tutorial', 'beginners', 'productivity', 'webdev', 'programming', 'history', 'writing',
];

/** Words of titles, bodies and comments: enough variety for full-text search to find and rank. */
const WORDS = [
  'system', 'queue', 'cache', 'index', 'query', 'request', 'response', 'server', 'client', 'module',
  'service', 'pattern', 'engine', 'thread', 'memory', 'latency', 'network', 'schema', 'table', 'column',
  'migration', 'deploy', 'release', 'feature', 'bug', 'test', 'review', 'design', 'library', 'framework',
  'compiler', 'runtime', 'container', 'cluster', 'replica', 'worker', 'event', 'message', 'stream', 'batch',
  'quick', 'careful', 'simple', 'robust', 'fast', 'slow', 'hidden', 'modern', 'classic', 'gentle',
  'building', 'scaling', 'debugging', 'writing', 'reading', 'shipping', 'measuring', 'learning', 'teaching', 'refactoring',
  'why', 'how', 'when', 'notes', 'lessons', 'guide', 'story', 'journey', 'mistakes', 'secrets',
  'postgres', 'redis', 'typescript', 'javascript', 'nestjs', 'docker', 'linux', 'search', 'security', 'performance',
];

export interface SeedProgress {
  step: string;
  /** Rows (or row groups) written so far, over every step. */
  done: number;
  total: number;
}

export interface GenerateOptions {
  sizes: SeedSizes;
  seed?: number;
  onProgress?: (progress: SeedProgress) => void;
}

export interface SeedResult {
  /** False when the database already held generated data (nothing was written). */
  created: boolean;
  seed: number;
  counts: { users: number; articles: number; tags: number; articleTags: number; favorites: number; comments: number; follows: number };
  seconds: number;
  /** Seconds each step took (empty when nothing was written). */
  stepSeconds: Record<string, number>;
}

/** What the generator needs of a Prisma client (PrismaService in the CLI, a plain client in scripts). */
type Db = Pick<PrismaClient, '$transaction' | '$executeRawUnsafe' | '$queryRawUnsafe'>;

const CHUNK_ROWS = 20_000;
/**
 * The clock of the generated data: article n is published n x 10 minutes after this. The timeline
 * ends a day before the start of the current UTC day, so that the newest articles are recent (the
 * trending tags have something to rank), no timestamp lies in the future (comments come up to a
 * day after their article), and the same seed writes the same data all day long.
 */
export function timelineStart(articles: number, now = new Date()): string {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return new Date(today - 86_400_000 - (articles + 1) * 600_000).toISOString();
}

/** Generated users and articles in creation order, and the tags of the data set, as arrays of ids. */
const IDS = `
  WITH u AS (SELECT array_agg(id ORDER BY id) AS ids FROM users WHERE email LIKE '%@${SEED_EMAIL_DOMAIN}'),
       a AS (SELECT array_agg(id ORDER BY id) AS ids FROM articles WHERE author_id IN (SELECT id FROM users WHERE email LIKE '%@${SEED_EMAIL_DOMAIN}')),
       t AS (SELECT array_agg(tags.id ORDER BY wanted.position) AS ids
             FROM unnest({names}::text[]) WITH ORDINALITY AS wanted(name, position) JOIN tags ON tags.name = wanted.name)`;

/**
 * A deterministic number in [0, n) for row `i` of a step: `salt` keeps the draws of different
 * columns apart.
 */
function pick(i: string, salt: number, n: string): string {
  return `(abs(hashint8extended((${i})::bigint, {seed}::bigint * 1000 + ${salt})) % (${n}))::int`;
}

/** `count` words from WORDS, drawn for row `i`. */
function words(i: string, salt: number, count: string): string {
  return `(SELECT string_agg(({words}::text[])[1 + ${pick(`(${i}) * 64 + w`, salt, 'cardinality({words}::text[])')}], ' ' ORDER BY w)
           FROM generate_series(1, ${count}) AS w)`;
}

/** Text with its first letter upper-cased, as a sentence starts. */
function sentence(text: string): string {
  return `(SELECT upper(left(s, 1)) || substr(s, 2) FROM (SELECT ${text} AS s) AS raw)`;
}

export function tagNames(count: number): string[] {
  return Array.from({ length: count }, (_, index) => SEED_TAG_NAMES[index] ?? `topic-${index + 1}`);
}

/** Sizes that fit together: no more favorites than pairs, no more follows than other users. */
export function normaliseSizes(sizes: SeedSizes): SeedSizes {
  const users = Math.max(1, Math.floor(sizes.users));
  const articles = Math.max(0, Math.floor(sizes.articles));
  const tags = Math.max(0, Math.floor(sizes.tags));
  return {
    users,
    articles,
    tags,
    favorites: Math.min(Math.max(0, Math.floor(sizes.favorites)), users * articles),
    comments: articles === 0 ? 0 : Math.max(0, Math.floor(sizes.comments)),
    tagsPerArticle: Math.min(Math.max(0, Math.floor(sizes.tagsPerArticle)), tags),
    followsPerUser: Math.min(Math.max(0, Math.floor(sizes.followsPerUser)), users - 1),
  };
}

export async function generateData(db: Db, options: GenerateOptions): Promise<SeedResult> {
  const started = Date.now();
  const seed = options.seed ?? DEFAULT_SEED;
  const sizes = normaliseSizes(options.sizes);
  const names = tagNames(sizes.tags);
  const existing = await countGenerated(db, names);
  if (existing.users > 0) return { created: false, seed, counts: existing, seconds: (Date.now() - started) / 1000, stepSeconds: {} };

  const passwordHash = await argon2.hash(SEED_PASSWORD, ARGON2_OPTIONS);
  const epoch = timelineStart(sizes.articles);
  const steps: Array<{ name: string; rows: number; sql: string; k?: number }> = [
    {
      name: 'users',
      rows: sizes.users,
      sql: `INSERT INTO users (email, username, password_hash, bio, created_at, updated_at)
            SELECT 'user' || i || '@${SEED_EMAIL_DOMAIN}', 'user' || i, {hash},
                   ${sentence(words('i', 1, `4 + ${pick('i', 2, '6')}`))} || '.',
                   {epoch}::timestamptz + make_interval(mins => i), {epoch}::timestamptz + make_interval(mins => i)
            FROM generate_series({from}::int, {to}::int) AS i`,
    },
    {
      name: 'tags',
      rows: sizes.tags,
      sql: `INSERT INTO tags (name) SELECT ({names}::text[])[i] FROM generate_series({from}::int, {to}::int) AS i
            ON CONFLICT (name) DO NOTHING`,
    },
    {
      name: 'articles',
      rows: sizes.articles,
      // The title ends in the article's number, so that every slug (derived from the title alone,
      // as slugify does) is unique. Published at once: the lists show published articles only.
      sql: `${IDS},
            drafts AS (
              SELECT i, initcap(${words('i', 3, `3 + ${pick('i', 4, '4')}`)}) || ' ' || i AS title,
                     {epoch}::timestamptz + make_interval(mins => i * 10) AS at
              FROM generate_series({from}::int, {to}::int) AS i)
            INSERT INTO articles (slug, title, description, body, author_id, published_at, created_at, updated_at)
            SELECT regexp_replace(lower(title), '[^a-z0-9]+', '-', 'g'), title,
                   ${sentence(words('i', 5, `6 + ${pick('i', 6, '6')}`))},
                   ${words('i', 7, `40 + ${pick('i', 8, '40')}`)},
                   u.ids[1 + ${pick('i', 9, 'cardinality(u.ids)')}], at, at, at
            FROM drafts, u`,
    },
    {
      name: 'articleTags',
      rows: sizes.tagsPerArticle === 0 ? 0 : sizes.articles,
      k: sizes.tagsPerArticle,
      // Tags k steps of tags/tagsPerArticle apart, so that an article's tags are distinct.
      sql: `${IDS}
            INSERT INTO article_tags (article_id, tag_id)
            SELECT a.ids[n], t.ids[1 + (${pick('n', 10, 'cardinality(t.ids)')} + k * (cardinality(t.ids) / {k}::int)) % cardinality(t.ids)]
            FROM a, t, generate_series({from}::int, {to}::int) AS n, generate_series(0, {k}::int - 1) AS k
            ON CONFLICT DO NOTHING`,
    },
    {
      name: 'favorites',
      rows: sizes.favorites,
      // Favorite i is user i mod U's (i div U)-th, on consecutive articles from a drawn start:
      // every pair is distinct, so exactly `favorites` rows are written.
      sql: `${IDS}
            INSERT INTO favorites (user_id, article_id, created_at)
            SELECT u.ids[1 + i % cardinality(u.ids)],
                   a.ids[1 + (${pick('i % cardinality(u.ids)', 11, 'cardinality(a.ids)')} + i / cardinality(u.ids)) % cardinality(a.ids)],
                   {epoch}::timestamptz + make_interval(secs => i)
            FROM u, a, generate_series({from}::int - 1, {to}::int - 1) AS i
            ON CONFLICT DO NOTHING`,
    },
    {
      name: 'comments',
      rows: sizes.comments,
      sql: `${IDS}
            INSERT INTO comments (body, article_id, author_id, created_at, updated_at)
            SELECT ${sentence(words('i', 12, `5 + ${pick('i', 13, '20')}`))} || '.', a.ids[1 + n], u.ids[1 + ${pick('i', 14, 'cardinality(u.ids)')}],
                   {epoch}::timestamptz + make_interval(mins => (n + 1) * 10, secs => i % 86400),
                   {epoch}::timestamptz + make_interval(mins => (n + 1) * 10, secs => i % 86400)
            FROM u, a, generate_series({from}::int, {to}::int) AS i,
                 LATERAL (SELECT ${pick('i', 15, 'cardinality(a.ids)')} AS n) AS drawn`,
    },
    {
      name: 'follows',
      rows: sizes.followsPerUser === 0 ? 0 : sizes.users,
      k: sizes.followsPerUser,
      // User n follows the k users after the drawn offset (never itself: offsets stay below U - k).
      sql: `${IDS}
            INSERT INTO follows (follower_id, followed_id, created_at)
            SELECT u.ids[n], u.ids[1 + (n - 1 + 1 + ${pick('n', 16, `greatest(cardinality(u.ids) - {k}::int, 1)`)} + k - 1) % cardinality(u.ids)],
                   {epoch}::timestamptz
            FROM u, generate_series({from}::int, {to}::int) AS n, generate_series(1, {k}::int) AS k
            ON CONFLICT DO NOTHING`,
    },
  ];

  const total = steps.reduce((sum, step) => sum + step.rows, 0);
  let done = 0;
  const stepSeconds: Record<string, number> = {};
  const seconds = (since: number): number => Math.round((Date.now() - since) / 100) / 10;
  options.onProgress?.({ step: 'users', done, total });
  for (const step of steps) {
    const stepStarted = Date.now();
    for (let from = 1; from <= step.rows; from += CHUNK_ROWS) {
      const to = Math.min(from + CHUNK_ROWS - 1, step.rows);
      await execute(db, step.sql, { names, seed, words: WORDS, hash: passwordHash, epoch, k: step.k, from, to });
      done += to - from + 1;
      options.onProgress?.({ step: step.name, done, total });
    }
    stepSeconds[step.name] = seconds(stepStarted);
  }
  const finishing = Date.now();
  // Lists read the count kept on the article, never count favorites.
  await execute(
    db,
    `UPDATE articles SET favorites_count = f.count
     FROM (SELECT article_id, count(*)::int AS count FROM favorites GROUP BY article_id) AS f
     WHERE articles.id = f.article_id AND articles.favorites_count <> f.count`,
    {},
  );
  // Bulk-loaded tables have no statistics or visibility map yet; autovacuum would make them later.
  await db.$executeRawUnsafe('ANALYZE');
  stepSeconds['counts and statistics'] = seconds(finishing);
  return { created: true, seed, counts: await countGenerated(db, names), seconds: (Date.now() - started) / 1000, stepSeconds };
}

/**
 * One statement with no statement timeout (a large chunk may take longer than the API's limit).
 * `{name}` in the SQL stands for `values.name`, numbered into `$n` placeholders in order of first
 * use, so that a statement binds only the values it uses (PostgreSQL must type every parameter).
 */
async function execute(db: Db, sql: string, values: Record<string, unknown>): Promise<number> {
  const order: string[] = [];
  const text = sql.replace(/\{(\w+)\}/g, (_, name: string) => {
    if (!(name in values)) throw new Error(`no value for {${name}}`);
    if (!order.includes(name)) order.push(name);
    return `$${order.indexOf(name) + 1}`;
  });
  return db.$transaction(
    async (tx) => {
      await tx.$executeRawUnsafe('SET LOCAL statement_timeout = 0');
      return tx.$executeRawUnsafe(text, ...order.map((name) => values[name]));
    },
    { maxWait: 10_000, timeout: 30 * 60_000 },
  );
}

async function countGenerated(db: Db, names: string[]): Promise<SeedResult['counts']> {
  const [row] = await db.$queryRawUnsafe<Array<Record<keyof SeedResult['counts'], number>>>(
    `${IDS.replace('{names}', '$1')}
     SELECT coalesce(cardinality(u.ids), 0) AS users,
            coalesce(cardinality(a.ids), 0) AS articles,
            coalesce(cardinality(t.ids), 0) AS tags,
            (SELECT count(*)::int FROM article_tags WHERE article_id = ANY(a.ids)) AS "articleTags",
            (SELECT count(*)::int FROM favorites WHERE article_id = ANY(a.ids)) AS favorites,
            (SELECT count(*)::int FROM comments WHERE article_id = ANY(a.ids)) AS comments,
            (SELECT count(*)::int FROM follows WHERE follower_id = ANY(u.ids)) AS follows
     FROM u, a, t`,
    names,
  );
  return row;
}
