#!/usr/bin/env node
// The benchmark data set, written through Prisma's raw SQL in a handful of set-based statements
// (generate_series), so that it takes seconds rather than hours:
//   10,000 users, 100,000 articles (3 tags each of 50), 300,000 favorites, 200,000 comments,
//   200,000 follows. Every bench user's password is `bench-password`.
//
//   DATABASE_URL=... node bench/generate-data.mjs [--scale 1]
//
// Needs the build (`npm run build`) for the generated Prisma client. Idempotent: it does nothing
// when the bench users already exist.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { PrismaClient } = require(path.join(root, 'dist/src/generated/prisma/client.js'));
const { ARGON2_OPTIONS } = require(path.join(root, 'dist/src/common/auth/password-hasher.js'));
const { PrismaPg } = require('@prisma/adapter-pg');
const argon2 = require('argon2');

export const BENCH_PASSWORD = 'bench-password';

/** Topic words of the bench articles' bodies (64 of them). */
export const TOPICS = [
  'algebra', 'astronomy', 'baking', 'ballet', 'biology', 'botany', 'calculus', 'camping', 'cheese', 'chess',
  'climbing', 'coffee', 'compilers', 'cycling', 'databases', 'dragons', 'economics', 'electronics', 'falconry', 'fencing',
  'fishing', 'forestry', 'gardening', 'geology', 'glassblowing', 'guitars', 'history', 'jazz', 'kayaking', 'knitting',
  'linguistics', 'locksmithing', 'magnets', 'meteorology', 'mushrooms', 'navigation', 'networking', 'opera', 'origami', 'painting',
  'philosophy', 'photography', 'physics', 'poetry', 'pottery', 'puzzles', 'quilting', 'robotics', 'rowing', 'sailing',
  'sculpture', 'skiing', 'statistics', 'surfing', 'tea', 'telescopes', 'theatre', 'topology', 'trains', 'volcanoes',
  'weaving', 'whales', 'wine', 'zoology',
];

export async function generateBenchData({ databaseUrl = process.env.DATABASE_URL, scale = 1, log = console.log } = {}) {
  if (!databaseUrl) throw new Error('DATABASE_URL is not set');
  const sizes = {
    users: Math.round(10_000 * scale),
    articles: Math.round(100_000 * scale),
    favorites: Math.round(300_000 * scale),
    comments: Math.round(200_000 * scale),
    followsPerUser: 20,
    tags: 50,
  };
  const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: databaseUrl }) });
  try {
    const existing = await prisma.user.count({ where: { email: { endsWith: '@bench.example' } } });
    if (existing > 0) {
      log(`bench data present (${existing} bench users); nothing to do`);
      return sizes;
    }
    const hash = await argon2.hash(BENCH_PASSWORD, ARGON2_OPTIONS);
    const step = async (label, sql, ...params) => {
      const started = Date.now();
      const count = await prisma.$executeRawUnsafe(sql, ...params);
      log(`  ${label}: ${count} rows in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    };
    log('generating bench data');
    await step('users', `
      INSERT INTO users (email, username, password_hash, bio, updated_at)
      SELECT 'bench' || i || '@bench.example', 'bench' || i, $1, 'Benchmark user ' || i, now()
      FROM generate_series(1, $2::int) AS i`, hash, sizes.users);
    await step('tags', `
      INSERT INTO tags (name) SELECT 'tag' || i FROM generate_series(1, $1::int) AS i ON CONFLICT DO NOTHING`, sizes.tags);
    // Ids by position, so that rows can point at "the n-th bench user" without a join per row.
    const ids = `
      WITH u AS (SELECT array_agg(id ORDER BY id) AS ids FROM users WHERE email LIKE '%@bench.example'),
           a AS (SELECT array_agg(id ORDER BY id) AS ids FROM articles WHERE slug LIKE 'bench-article-%'),
           t AS (SELECT array_agg(id ORDER BY id) AS ids FROM tags WHERE name LIKE 'tag%')`;
    // Published (visible in lists and search) as soon as created; each body ends with three topic
    // words, so that searches have words of every frequency: "benchmark" in every article, one
    // topic word in about 5 %, an adjacent pair of topic words in about 25 articles.
    await step('articles', `${ids}
      INSERT INTO articles (slug, title, description, body, author_id, created_at, updated_at, published_at)
      SELECT 'bench-article-' || i, 'Bench article ' || i, 'What article ' || i || ' is about',
             repeat('Benchmark body of article ' || i || '. ', 30) || 'Topics: ' ||
               ($3::text[])[1 + i % 64] || ' ' || ($3::text[])[1 + (i / 64) % 64] || ' ' || ($3::text[])[1 + (i * 7) % 64] || '.',
             u.ids[1 + (i * 7919) % $2::int], now() - make_interval(secs => i * 30), now() - make_interval(secs => i * 30),
             now() - make_interval(secs => i * 30)
      FROM generate_series(1, $1::int) AS i, u`, sizes.articles, sizes.users, TOPICS);
    await step('article tags', `${ids}
      INSERT INTO article_tags (article_id, tag_id)
      SELECT a.ids[n], t.ids[1 + (n + k * 17) % $1::int]
      FROM a, t, generate_series(1, array_length(a.ids, 1)) AS n, generate_series(0, 2) AS k
      ON CONFLICT DO NOTHING`, sizes.tags);
    await step('favorites', `${ids}
      INSERT INTO favorites (user_id, article_id)
      SELECT u.ids[1 + i % $2::int], a.ids[1 + ((i::bigint * 7919 + i / $2::int) % $3::int)::int]
      FROM u, a, generate_series(0, $1::int - 1) AS i
      ON CONFLICT DO NOTHING`, sizes.favorites, sizes.users, sizes.articles);
    await step('favorite counts', `
      UPDATE articles SET favorites_count = f.count
      FROM (SELECT article_id, count(*)::int AS count FROM favorites GROUP BY article_id) AS f
      WHERE articles.id = f.article_id`);
    await step('comments', `${ids}
      INSERT INTO comments (body, article_id, author_id, created_at, updated_at)
      SELECT 'Comment ' || i, a.ids[1 + (i * 13) % $3::int], u.ids[1 + (i * 7) % $2::int], now(), now()
      FROM u, a, generate_series(0, $1::int - 1) AS i`, sizes.comments, sizes.users, sizes.articles);
    await step('follows', `${ids}
      INSERT INTO follows (follower_id, followed_id)
      SELECT u.ids[n], u.ids[1 + (n - 1 + k * 97) % $1::int]
      FROM u, generate_series(1, $1::int) AS n, generate_series(1, $2::int) AS k
      ON CONFLICT DO NOTHING`, sizes.users, sizes.followsPerUser);
    // Bulk-loaded tables have no visibility map yet; a real database's autovacuum would have made one.
    await step('vacuum', 'VACUUM ANALYZE');
    return sizes;
  } finally {
    await prisma.$disconnect();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const scaleFlag = process.argv.indexOf('--scale');
  const scale = scaleFlag > 0 ? Number(process.argv[scaleFlag + 1]) : 1;
  const started = Date.now();
  generateBenchData({ scale })
    .then(() => console.log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`))
    .catch((error) => {
      console.error(`bench data failed: ${error.message}`);
      process.exit(1);
    });
}
