import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Post, Query } from '@nestjs/common';
import { ApiNoContentResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { Auth, CurrentUser, MaybeCurrentUser, OptionalAuth } from '@/common/auth/auth.decorators';
import type { Viewer } from '@/common/auth/viewer';
import { ApiErrorResponses } from '@/common/http/api-responses';
import { CommentPageQueryDto, MAX_LIMIT, toPage } from '@/common/pagination/page-query.dto';
import { CacheResponse } from '@/infra/cache/cache-policy';
import { commentReadTags } from './comments.cache-tags';
import { ReplicaReads } from '@/infra/prisma/replica-reads.interceptor';
import { parseCommentId } from './comment-id';
import { CommentsViewerOverlay } from './comments-viewer.overlay';
import { CommentsService } from './comments.service';
import { MultipleCommentsResponseDto, NewCommentRequestDto, SingleCommentResponseDto } from './dto/comment.dto';

@ApiTags('Comments')
@ApiParam({ name: 'slug', description: 'Slug of the article' })
@Controller('articles/:slug/comments')
export class CommentsController {
  constructor(private readonly comments: CommentsService) {}

  /** Get the comments for an article, newest first, a page at a time (`limit`, default and most 100; `offset`). Auth is optional */
  @Get()
  @OptionalAuth()
  @ReplicaReads()
  @CacheResponse({
    name: 'comments',
    tags: (request) => commentReadTags(request.params.slug as string),
    overlay: CommentsViewerOverlay,
  })
  @ApiOperation({ operationId: 'GetArticleComments', summary: 'Get comments for an article' })
  @ApiErrorResponses(404, 422)
  list(@Param('slug') slug: string, @Query() query: CommentPageQueryDto, @MaybeCurrentUser() viewer?: Viewer): Promise<MultipleCommentsResponseDto> {
    return this.comments.list(slug, toPage(query, MAX_LIMIT), viewer);
  }

  /** Create a comment for an article (at most COMMENTS_PER_HOUR per user, then 429 with Retry-After). Auth is required */
  @Post()
  @Auth()
  @ApiOperation({ operationId: 'CreateArticleComment', summary: 'Create a comment for an article' })
  @ApiErrorResponses(404, 422, 429)
  create(@CurrentUser() viewer: Viewer, @Param('slug') slug: string, @Body() body: NewCommentRequestDto): Promise<SingleCommentResponseDto> {
    return this.comments.create(viewer, slug, body.comment.body);
  }

  /** Delete a comment for an article (its author only). Auth is required */
  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @Auth()
  @ApiOperation({ operationId: 'DeleteArticleComment', summary: 'Delete a comment for an article' })
  @ApiParam({ name: 'id', type: 'integer', description: 'ID of the comment you want to delete' })
  @ApiNoContentResponse({ description: 'No content' })
  @ApiErrorResponses(403, 404, 422)
  delete(@CurrentUser() viewer: Viewer, @Param('slug') slug: string, @Param('id') id: string): Promise<void> {
    return this.comments.delete(viewer, slug, parseCommentId(id));
  }
}
