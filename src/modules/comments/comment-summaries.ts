import { Injectable, Module } from '@nestjs/common';
import { PrismaService } from '@/infra/prisma/prisma.service';

/** A comment with its author and article, read by the comments feature that owns it (for notifications). */
@Injectable()
export class CommentSummaries {
  constructor(private readonly prisma: PrismaService) {}

  /** Null when the comment is gone. */
  comment(id: number) {
    return this.prisma.comment.findUnique({
      where: { id },
      select: {
        body: true,
        author: { select: { id: true, username: true } },
        article: { select: { slug: true, title: true, authorId: true } },
      },
    });
  }
}

@Module({ providers: [CommentSummaries], exports: [CommentSummaries] })
export class CommentSummariesModule {}
