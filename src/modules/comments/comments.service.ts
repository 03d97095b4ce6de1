import { Injectable } from '@nestjs/common';
import type { Viewer } from '@/common/auth/viewer';
import type { Page } from '@/common/pagination/page-query.dto';
import { CacheInvalidator } from '@/infra/cache/cache-invalidator.service';
import { personalise } from '@/infra/cache/cache-policy';
import { CommentCacheTags } from './comments.cache-tags';
import { DomainEvents } from '@/infra/outbox/domain-events';
import { TransactionRunner } from '@/infra/prisma/transaction-runner';
import { WriteLimits } from '@/infra/rate-limit/write-limits';
import { ArticlesService } from '@/modules/articles/articles.service';
import { COMMENT_EVENTS } from './comment-events';
import { toComment } from './comment.mapper';
import { CommentsRepository } from './comments.repository';
import { CommentsViewerOverlay } from './comments-viewer.overlay';
import { CommentNotFound, NotCommentAuthor } from './comments.errors';
import type { MultipleCommentsResponseDto, SingleCommentResponseDto } from './dto/comment.dto';

@Injectable()
export class CommentsService {
  constructor(
    private readonly comments: CommentsRepository,
    private readonly articles: ArticlesService,
    private readonly cache: CacheInvalidator,
    private readonly transaction: TransactionRunner,
    private readonly events: DomainEvents,
    private readonly writeLimits: WriteLimits,
    private readonly overlay: CommentsViewerOverlay,
  ) {}

  async list(slug: string, page: Page, viewer?: Viewer): Promise<MultipleCommentsResponseDto> {
    const rows = await this.comments.findPageForArticle(await this.articles.idOf(slug, viewer), page);
    return personalise(this.overlay, { comments: rows.map(toComment) }, viewer);
  }

  async create(viewer: Viewer, slug: string, body: string): Promise<SingleCommentResponseDto> {
    const articleId = await this.articles.idOf(slug, viewer);
    await this.writeLimits.take('comments', viewer.id);
    const row = await this.transaction.run(async (db) => {
      const created = await this.comments.create(articleId, viewer.id, body, db);
      await this.events.emit(db, COMMENT_EVENTS.of('comment.added', { commentId: created.id }));
      return created;
    });
    await this.cache.invalidate(CommentCacheTags.ofArticle(slug));
    // Its author is the viewer, whom nobody can follow themselves: `following` is false as built.
    return { comment: toComment(row) };
  }

  async delete(viewer: Viewer, slug: string, id: number): Promise<void> {
    const comment = await this.comments.findOnArticle(id, await this.articles.idOf(slug, viewer));
    if (!comment) throw new CommentNotFound();
    if (comment.authorId !== viewer.id) throw new NotCommentAuthor();
    await this.comments.delete(comment.id);
    await this.cache.invalidate(CommentCacheTags.ofArticle(slug));
  }
}
