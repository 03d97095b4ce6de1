import * as argon2 from 'argon2';
import type { INestApplicationContext } from '@nestjs/common';
import { ARGON2_OPTIONS } from '@/common/auth/password-hasher';
import { TokenService } from '@/common/auth/token.service';
import type { Viewer } from '@/common/auth/viewer';
import { PrismaService } from '@/infra/prisma/prisma.service';
import { slugify } from '@/modules/articles/slug';
import { unique } from '../helpers/factories';

/**
 * Rows written straight into PostgreSQL, for tests of repositories and services: no HTTP, no
 * service in between, and one password hash for every user (computed once), so a data set of a
 * hundred rows costs milliseconds. Counters the application keeps in step (an article's
 * `favorites_count`) are kept in step here too; triggers run as for any write.
 */

/** Every factory user's password. */
export const FACTORY_PASSWORD = 'factory-password-not-secret';
let passwordHash: Promise<string> | undefined;

export interface UserRow {
  id: number;
  username: string;
  email: string;
  bio: string | null;
  image: string | null;
}

export interface ArticleRow {
  id: number;
  slug: string;
  title: string;
  authorId: number;
  publishedAt: Date | null;
}

export interface ArticleOverrides {
  title?: string;
  description?: string;
  body?: string;
  tags?: string[];
  /** null: a scheduled article, not published yet (with `publishAt` an hour ahead unless given). */
  publishedAt?: Date | null;
  publishAt?: Date;
}

export class Rows {
  private readonly prisma: PrismaService;

  constructor(private readonly context: Pick<INestApplicationContext, 'get'>) {
    this.prisma = context.get(PrismaService);
  }

  async user(overrides: Partial<Omit<UserRow, 'id'>> = {}): Promise<UserRow> {
    const username = overrides.username ?? unique('user');
    passwordHash ??= argon2.hash(FACTORY_PASSWORD, ARGON2_OPTIONS);
    return this.prisma.user.create({
      data: {
        username,
        email: overrides.email ?? `${username.toLowerCase()}@example.test`,
        bio: overrides.bio ?? null,
        image: overrides.image ?? null,
        passwordHash: await passwordHash,
      },
      select: { id: true, username: true, email: true, bio: true, image: true },
    });
  }

  async users(count: number, prefix = 'user'): Promise<UserRow[]> {
    const users: UserRow[] = [];
    for (let index = 0; index < count; index += 1) users.push(await this.user({ username: unique(prefix) }));
    return users;
  }

  /** How `user` is seen by services: as a viewer with a valid token (version 0, never changed). */
  viewer(user: Pick<UserRow, 'id'>): Viewer {
    return { id: user.id, token: this.context.get(TokenService).issue(user.id, 0) };
  }

  /** An article by `author`, published now unless told otherwise, with its tags (created as needed). */
  async article(author: Pick<UserRow, 'id'>, overrides: ArticleOverrides = {}): Promise<ArticleRow> {
    const title = overrides.title ?? `Article ${unique('t')}`;
    const tagIds = await this.tagIds(overrides.tags ?? []);
    const scheduled = overrides.publishedAt === null;
    return this.prisma.article.create({
      data: {
        title,
        slug: slugify(title),
        description: overrides.description ?? `About ${title}`,
        body: overrides.body ?? `The body of ${title}.`,
        authorId: author.id,
        publishedAt: scheduled ? null : (overrides.publishedAt ?? new Date()),
        publishAt: overrides.publishAt ?? (scheduled ? new Date(Date.now() + 3_600_000) : null),
        tags: { create: tagIds.map((tagId) => ({ tagId })) },
      },
      select: { id: true, slug: true, title: true, authorId: true, publishedAt: true },
    });
  }

  /** `count` articles, oldest first: each is published after the one before it. */
  async articles(author: Pick<UserRow, 'id'>, count: number, overrides: (index: number) => ArticleOverrides = () => ({})): Promise<ArticleRow[]> {
    const articles: ArticleRow[] = [];
    for (let index = 0; index < count; index += 1) articles.push(await this.article(author, overrides(index)));
    return articles;
  }

  async follow(follower: Pick<UserRow, 'id'>, ...followed: Array<Pick<UserRow, 'id'>>): Promise<void> {
    await this.prisma.follow.createMany({ data: followed.map((user) => ({ followerId: follower.id, followedId: user.id })), skipDuplicates: true });
  }

  /** `user` favorites each of `articles`, with the articles' counters bumped in the same transaction. */
  async favorite(user: Pick<UserRow, 'id'>, ...articles: Array<Pick<ArticleRow, 'id'>>): Promise<void> {
    const ids = articles.map((article) => article.id);
    await this.prisma.$transaction([
      this.prisma.favorite.createMany({ data: ids.map((articleId) => ({ userId: user.id, articleId })) }),
      this.prisma.$executeRaw`UPDATE articles SET favorites_count = favorites_count + 1 WHERE id = ANY(${ids}::int[])`,
    ]);
  }

  /** A comment; `createdAt` orders an article's comments (newest first). */
  comment(author: Pick<UserRow, 'id'>, article: Pick<ArticleRow, 'id'>, body = `Comment ${unique('c')}`, createdAt = new Date()): Promise<{ id: number; body: string }> {
    return this.prisma.comment.create({ data: { authorId: author.id, articleId: article.id, body, createdAt }, select: { id: true, body: true } });
  }

  async tagIds(names: string[]): Promise<number[]> {
    if (names.length === 0) return [];
    await this.prisma.tag.createMany({ data: names.map((name) => ({ name })), skipDuplicates: true });
    const tags = await this.prisma.tag.findMany({ where: { name: { in: names } }, select: { id: true } });
    return tags.map((tag) => tag.id);
  }
}
