import { Injectable } from '@nestjs/common';
import { Prisma } from '@/generated/prisma/client';
import type { Db } from '@/infra/prisma/db';
import { PrismaService } from '@/infra/prisma/prisma.service';
import { ReadReplicas } from '@/infra/prisma/read-replicas';
import type { Page } from '@/common/pagination/page-query.dto';
import { PUBLIC_USER_SELECT } from '@/modules/profiles/profiles.repository';
import type { CoverImage } from '@/modules/uploads/upload.types';

/** What a list item shows: everything but the body. */
export const ARTICLE_LIST_SELECT = {
  id: true,
  slug: true,
  title: true,
  description: true,
  createdAt: true,
  updatedAt: true,
  favoritesCount: true,
  publishedAt: true,
  publishAt: true,
  coverImage: true,
  author: { select: PUBLIC_USER_SELECT },
  tags: { select: { tag: { select: { name: true } } } },
} satisfies Prisma.ArticleSelect;

export const ARTICLE_SELECT = { ...ARTICLE_LIST_SELECT, body: true } satisfies Prisma.ArticleSelect;

export type ArticleListRow = Prisma.ArticleGetPayload<{ select: typeof ARTICLE_LIST_SELECT }>;
export type ArticleRow = Prisma.ArticleGetPayload<{ select: typeof ARTICLE_SELECT }>;

/** Filters already resolved to ids, so that each becomes an indexed lookup. */
export interface ArticleFilter {
  authorId?: number;
  tagId?: number;
  favoritedById?: number;
  /** Articles by the authors this user follows, not by the user. */
  feedOf?: number;
}

export interface ArticleContent {
  title?: string;
  slug?: string;
  description?: string;
  body?: string;
  publishAt?: Date;
  /** A cover upload and the URLs articles show for it; null removes the cover. */
  cover?: { uploadId: string; image: CoverImage } | null;
}

export type NewArticleContent = Required<Pick<ArticleContent, 'title' | 'slug' | 'description' | 'body'>> & Pick<ArticleContent, 'cover'>;

function coverColumns(cover: ArticleContent['cover']): Pick<Prisma.ArticleUncheckedUpdateInput, 'coverUploadId' | 'coverImage'> {
  if (cover === undefined) return {};
  if (cover === null) return { coverUploadId: null, coverImage: Prisma.DbNull };
  return { coverUploadId: cover.uploadId, coverImage: cover.image as unknown as Prisma.InputJsonObject };
}

/** Most recently published first; the indexes on (published_at, id) serve every list. */
const NEWEST_FIRST = [{ publishedAt: 'desc' }, { id: 'desc' }] satisfies Prisma.ArticleOrderByWithRelationInput[];

/**
 * Reads go through `replicas.read`: on a route that tolerates replica lag they may be served by a
 * replica, anywhere else (writes and what they read first) by the primary.
 */
@Injectable()
export class ArticlesRepository {
  constructor(
    private readonly prisma: PrismaService,
    private readonly replicas: ReadReplicas,
  ) {}

  /** One page and the total count: two queries (plus one per relation), whatever the page size. */
  findPage(filter: ArticleFilter, page: Page): Promise<{ rows: ArticleListRow[]; count: number }> {
    const where = toWhere(filter);
    return this.replicas.read(async (db) => {
      const [rows, count] = await Promise.all([
        db.article.findMany({ where, select: ARTICLE_LIST_SELECT, orderBy: NEWEST_FIRST, skip: page.offset, take: page.limit }),
        db.article.count({ where }),
      ]);
      return { rows, count };
    });
  }

  /** The published articles among `ids`, in no particular order. */
  findListRowsByIds(ids: number[]): Promise<ArticleListRow[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.replicas.read((db) => db.article.findMany({ where: { id: { in: ids }, publishedAt: { not: null } }, select: ARTICLE_LIST_SELECT }));
  }

  findBySlug(slug: string): Promise<ArticleRow | null> {
    return this.replicas.read((db) => db.article.findUnique({ where: { slug }, select: ARTICLE_SELECT }));
  }

  findOwnership(slug: string): Promise<{ id: number; authorId: number; publishedAt: Date | null } | null> {
    return this.replicas.read((db) => db.article.findUnique({ where: { slug }, select: { id: true, authorId: true, publishedAt: true } }));
  }

  /** A new article, published now, or scheduled when `publishAt` is given. */
  create(authorId: number, { cover, ...content }: NewArticleContent, tagIds: number[], publishAt: Date | undefined, db: Db = this.prisma): Promise<ArticleRow> {
    return db.article.create({
      data: {
        ...content,
        ...(cover && { coverUploadId: cover.uploadId, coverImage: cover.image as unknown as Prisma.InputJsonObject }),
        authorId,
        ...(publishAt ? { publishAt } : { publishedAt: new Date() }),
        tags: { create: tagIds.map((tagId) => ({ tagId })) },
      },
      select: ARTICLE_SELECT,
    });
  }

  /**
   * Publishes a scheduled article whose time has come; undefined when it was already published,
   * rescheduled to later, or deleted, so that a stale or repeated job changes nothing.
   */
  async publishDue(id: number, db: Db = this.prisma): Promise<{ slug: string } | undefined> {
    const rows = await db.$queryRaw<Array<{ slug: string }>>`
      UPDATE articles SET published_at = now()
      WHERE id = ${id} AND published_at IS NULL AND publish_at <= now()
      RETURNING slug`;
    return rows[0];
  }

  /** Changes the content and, when `tagIds` is given, replaces the tags, in one transaction. */
  update(id: number, { cover, ...content }: ArticleContent, tagIds?: number[], db: Db = this.prisma): Promise<ArticleRow> {
    return db.article.update({
      where: { id },
      data: {
        ...content,
        ...coverColumns(cover),
        ...(tagIds && { tags: { deleteMany: {}, create: tagIds.map((tagId) => ({ tagId })) } }),
      },
      select: ARTICLE_SELECT,
    });
  }

  async delete(id: number): Promise<void> {
    await this.prisma.article.deleteMany({ where: { id } });
  }

  /**
   * Of `slugs`, the ones `userId` has favorited: one indexed query. Every `favorited` flag comes
   * from here (see ArticlesViewerOverlay). Raw SQL because it runs on every signed-in read, where
   * Prisma's two-step relation filter would double the cost.
   */
  async favoritedSlugs(userId: number, slugs: string[]): Promise<Set<string>> {
    if (slugs.length === 0) return new Set();
    const rows = await this.replicas.read(
      (db) => db.$queryRaw<Array<{ slug: string }>>`
        SELECT a.slug FROM favorites f JOIN articles a ON a.id = f.article_id
        WHERE f.user_id = ${userId} AND a.slug = ANY(${slugs}::text[])`,
    );
    return new Set(rows.map((row) => row.slug));
  }

  /** Adds the favorite and bumps the counter together; a second favorite changes nothing. */
  async favorite(userId: number, articleId: number): Promise<void> {
    await this.prisma.$transaction(async (tx) => {
      const { count } = await tx.favorite.createMany({ data: [{ userId, articleId }], skipDuplicates: true });
      // Raw SQL: a favorite is not an edit, and Prisma's update would bump `updatedAt`.
      if (count > 0) await tx.$executeRaw`UPDATE articles SET favorites_count = favorites_count + 1 WHERE id = ${articleId}`;
    });
  }

  async unfavorite(userId: number, articleId: number): Promise<void> {
    await this.prisma.$transaction(async (tx) => {
      const { count } = await tx.favorite.deleteMany({ where: { userId, articleId } });
      if (count > 0) await tx.$executeRaw`UPDATE articles SET favorites_count = favorites_count - 1 WHERE id = ${articleId}`;
    });
  }
}

function toWhere(filter: ArticleFilter): Prisma.ArticleWhereInput {
  // Lists show published articles only; a scheduled one is visible to its author by slug.
  const where: Prisma.ArticleWhereInput = { publishedAt: { not: null } };
  if (filter.authorId !== undefined) where.authorId = filter.authorId;
  if (filter.tagId !== undefined) where.tags = { some: { tagId: filter.tagId } };
  if (filter.favoritedById !== undefined) where.favorites = { some: { userId: filter.favoritedById } };
  if (filter.feedOf !== undefined) Object.assign(where, feedOf(filter.feedOf));
  return where;
}

/** A user's feed: the articles of the authors they follow, not their own (the mails' digest reads it too). */
export function feedOf(userId: number): Prisma.ArticleWhereInput {
  return { author: { followers: { some: { followerId: userId } } }, authorId: { not: userId } };
}
