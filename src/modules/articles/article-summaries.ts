import { Injectable, Module } from '@nestjs/common';
import { PrismaService } from '@/infra/prisma/prisma.service';
import { feedOf } from './articles.repository';

/** Articles as mails show them, read by the articles feature that owns them (for notifications). */
@Injectable()
export class ArticleSummaries {
  constructor(private readonly prisma: PrismaService) {}

  /** Null when the article is gone; `publishedAt` is null while it is scheduled. */
  article(id: number) {
    return this.prisma.article.findUnique({
      where: { id },
      select: { id: true, slug: true, title: true, description: true, publishedAt: true, author: { select: { id: true, username: true } } },
    });
  }

  /** The articles of `userId`'s feed (the same predicate as GET /api/articles/feed) published in [since, until), newest first. */
  feedBetween(userId: number, since: Date, until: Date, limit: number) {
    return this.prisma.article.findMany({
      where: { ...feedOf(userId), publishedAt: { gte: since, lt: until } },
      select: { slug: true, title: true, description: true, author: { select: { username: true } } },
      orderBy: [{ publishedAt: 'desc' }, { id: 'desc' }],
      take: limit,
    });
  }
}

@Module({ providers: [ArticleSummaries], exports: [ArticleSummaries] })
export class ArticleSummariesModule {}
