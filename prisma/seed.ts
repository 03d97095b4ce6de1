/**
 * A small demo data set: a few users who follow each other, articles with tags, favorites and
 * comments. Idempotent: running it again changes nothing. Every demo user's password is
 * `conduit-demo` (for trying the API from Swagger UI; never run this against production).
 *
 *   npm run db:seed
 */
import 'reflect-metadata';
import { PrismaPg } from '@prisma/adapter-pg';
import * as argon2 from 'argon2';
import { ARGON2_OPTIONS } from '../src/common/auth/password-hasher';
import { PrismaClient } from '../src/generated/prisma/client';
import { slugify } from '../src/modules/articles/slug';

const DEMO_PASSWORD = 'conduit-demo';

const users = [
  { username: 'ada', email: 'ada@conduit.example', bio: 'Analytical engines and poetry.' },
  { username: 'grace', email: 'grace@conduit.example', bio: 'Compilers, and the occasional moth.' },
  { username: 'linus', email: 'linus@conduit.example', bio: null },
];

const articles = [
  { author: 'ada', title: 'Notes on the Analytical Engine', description: 'What a machine can weave', body: 'The engine weaves algebraic patterns just as the Jacquard loom weaves flowers and leaves.', tags: ['history', 'computing'] },
  { author: 'grace', title: 'Debugging, literally', description: 'A moth in relay 70', body: 'First actual case of bug being found. We taped it into the log book.', tags: ['debugging', 'history'] },
  { author: 'grace', title: 'Why compilers matter', description: 'Programs for people', body: 'It is much easier for most people to write an English statement than to use symbols.', tags: ['compilers', 'computing'] },
  { author: 'linus', title: 'Release early, release often', description: 'On shipping', body: 'Given enough eyeballs, all bugs are shallow.', tags: ['open-source'] },
];

const follows = [['ada', 'grace'], ['linus', 'ada'], ['linus', 'grace']] as const;
const favorites = [['ada', 'Why compilers matter'], ['linus', 'Notes on the Analytical Engine'], ['grace', 'Notes on the Analytical Engine']] as const;
const comments = [['grace', 'Notes on the Analytical Engine', 'Beautifully put.'], ['ada', 'Debugging, literally', 'A historic moth.']] as const;

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set');
  const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: url }) });
  try {
    const passwordHash = await argon2.hash(DEMO_PASSWORD, ARGON2_OPTIONS);
    const ids = new Map<string, number>();
    for (const user of users) {
      const row = await prisma.user.upsert({ where: { email: user.email }, update: {}, create: { ...user, passwordHash } });
      ids.set(user.username, row.id);
    }
    const articleIds = new Map<string, number>();
    for (const article of articles) {
      const tagIds = [];
      for (const name of article.tags) tagIds.push((await prisma.tag.upsert({ where: { name }, update: {}, create: { name } })).id);
      const row = await prisma.article.upsert({
        where: { slug: slugify(article.title) },
        update: {},
        create: {
          slug: slugify(article.title),
          title: article.title,
          description: article.description,
          body: article.body,
          authorId: ids.get(article.author)!,
          // Published: lists and search show published articles only.
          publishedAt: new Date(),
          tags: { create: tagIds.map((tagId) => ({ tagId })) },
        },
      });
      articleIds.set(article.title, row.id);
    }
    await prisma.follow.createMany({
      data: follows.map(([follower, followed]) => ({ followerId: ids.get(follower)!, followedId: ids.get(followed)! })),
      skipDuplicates: true,
    });
    for (const [user, title] of favorites) {
      const articleId = articleIds.get(title)!;
      const { count } = await prisma.favorite.createMany({ data: [{ userId: ids.get(user)!, articleId }], skipDuplicates: true });
      if (count > 0) await prisma.article.update({ where: { id: articleId }, data: { favoritesCount: { increment: 1 } } });
    }
    for (const [user, title, body] of comments) {
      const articleId = articleIds.get(title)!;
      const authorId = ids.get(user)!;
      if (!(await prisma.comment.findFirst({ where: { articleId, authorId, body } }))) {
        await prisma.comment.create({ data: { articleId, authorId, body } });
      }
    }
    console.log(`Seeded ${users.length} users (password "${DEMO_PASSWORD}"), ${articles.length} articles, ${follows.length} follows, ${favorites.length} favorites, ${comments.length} comments.`);
  } finally {
    await prisma.$disconnect();
  }
}

main().catch((error: unknown) => {
  console.error(`db:seed failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
