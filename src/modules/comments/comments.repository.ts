import { Injectable } from '@nestjs/common';
import type { Page } from '@/common/pagination/page-query.dto';
import { Prisma } from '@/generated/prisma/client';
import type { Db } from '@/infra/prisma/db';
import { PrismaService } from '@/infra/prisma/prisma.service';
import { ReadReplicas } from '@/infra/prisma/read-replicas';
import { PUBLIC_USER_SELECT } from '@/modules/profiles/profiles.repository';

export const COMMENT_SELECT = {
  id: true,
  body: true,
  createdAt: true,
  updatedAt: true,
  author: { select: PUBLIC_USER_SELECT },
} satisfies Prisma.CommentSelect;

export type CommentRow = Prisma.CommentGetPayload<{ select: typeof COMMENT_SELECT }>;

@Injectable()
export class CommentsRepository {
  constructor(
    private readonly prisma: PrismaService,
    private readonly replicas: ReadReplicas,
  ) {}

  /** One page of an article's comments with their authors, newest first, in one query (on a replica where the route allows). */
  findPageForArticle(articleId: number, page: Page): Promise<CommentRow[]> {
    return this.replicas.read((db) =>
      db.comment.findMany({
        where: { articleId },
        select: COMMENT_SELECT,
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        take: page.limit,
        skip: page.offset,
      }),
    );
  }

  create(articleId: number, authorId: number, body: string, db: Db = this.prisma): Promise<CommentRow> {
    return db.comment.create({ data: { articleId, authorId, body }, select: COMMENT_SELECT });
  }

  /** The comment only if it belongs to that article: another article's slug does not reach it. */
  findOnArticle(id: number, articleId: number): Promise<{ id: number; authorId: number } | null> {
    return this.prisma.comment.findFirst({ where: { id, articleId }, select: { id: true, authorId: true } });
  }

  async delete(id: number): Promise<void> {
    await this.prisma.comment.deleteMany({ where: { id } });
  }
}
