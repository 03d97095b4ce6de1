import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import { ApiNoContentResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { Auth, CurrentUser, MaybeCurrentUser, OptionalAuth } from '@/common/auth/auth.decorators';
import type { Viewer } from '@/common/auth/viewer';
import { ApiErrorResponses } from '@/common/http/api-responses';
import { CacheResponse } from '@/infra/cache/cache-policy';
import { CacheTags } from '@/infra/cache/cache-tags';
import { parseCommentId } from './comment-id';
import { CommentsViewerOverlay } from './comments-viewer.overlay';
import { CommentsService } from './comments.service';
import { MultipleCommentsResponseDto, NewCommentRequestDto, SingleCommentResponseDto } from './dto/comment.dto';

@ApiTags('Comments')
@ApiParam({ name: 'slug', description: 'Slug of the article' })
@Controller('articles/:slug/comments')
export class CommentsController {
  constructor(private readonly comments: CommentsService) {}

  /** Get the comments for an article, newest first. Auth is optional */
  @Get()
  @OptionalAuth()
  @CacheResponse({
    name: 'comments',
    tags: (request) => [CacheTags.comments(request.params.slug as string), CacheTags.profiles],
    overlay: CommentsViewerOverlay,
  })
  @ApiOperation({ operationId: 'GetArticleComments', summary: 'Get comments for an article' })
  @ApiErrorResponses(404, 422)
  list(@Param('slug') slug: string, @MaybeCurrentUser() viewer?: Viewer): Promise<MultipleCommentsResponseDto> {
    return this.comments.list(slug, viewer);
  }

  /** Create a comment for an article. Auth is required */
  @Post()
  @Auth()
  @ApiOperation({ operationId: 'CreateArticleComment', summary: 'Create a comment for an article' })
  @ApiErrorResponses(404, 422)
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
