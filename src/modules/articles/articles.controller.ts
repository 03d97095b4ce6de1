import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Post, Put, Query } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { Auth, CurrentUser, MaybeCurrentUser, OptionalAuth } from '@/common/auth/auth.decorators';
import type { Viewer } from '@/common/auth/viewer';
import { ApiErrorResponses } from '@/common/http/api-responses';
import { PageQueryDto, toPage } from '@/common/pagination/page-query.dto';
import { CacheResponse } from '@/infra/cache/cache-policy';
import { articleReadTags } from './articles.cache-tags';
import { ReplicaReads } from '@/infra/prisma/replica-reads.interceptor';
import { ArticlesViewerOverlay } from './articles-viewer.overlay';
import { ArticlesService } from './articles.service';
import { ListArticlesQueryDto, NewArticleRequestDto, UpdateArticleRequestDto } from './dto/article-requests.dto';
import { MultipleArticlesResponseDto, SingleArticleResponseDto } from './dto/article-response.dto';

@ApiTags('Articles')
@Controller('articles')
export class ArticlesController {
  constructor(private readonly articles: ArticlesService) {}

  /** Most recent articles from users you follow (not your own). Auth is required */
  @Get('feed')
  @Auth()
  @CacheResponse({
    name: 'feed',
    perViewer: true,
    tags: (request) => articleReadTags.feed(request.viewer!.id),
  })
  @ApiOperation({ operationId: 'GetArticlesFeed', summary: 'Get recent articles from users you follow' })
  @ApiErrorResponses(422)
  feed(@CurrentUser() viewer: Viewer, @Query() query: PageQueryDto): Promise<MultipleArticlesResponseDto> {
    return this.articles.feed(viewer, toPage(query));
  }

  /** Most recent articles globally, filtered by tag, author or favoriting user. Auth is optional */
  @Get()
  @OptionalAuth()
  @ReplicaReads()
  @CacheResponse({ name: 'articles', tags: () => articleReadTags.list(), overlay: ArticlesViewerOverlay })
  @ApiOperation({ operationId: 'GetArticles', summary: 'Get recent articles globally' })
  @ApiErrorResponses(422)
  list(@Query() query: ListArticlesQueryDto, @MaybeCurrentUser() viewer?: Viewer): Promise<MultipleArticlesResponseDto> {
    return this.articles.list(query, toPage(query), viewer);
  }

  /** Create an article (at most ARTICLES_PER_HOUR per user, and NEW_TAGS_PER_HOUR tags that did not exist yet; then 429 with Retry-After). Auth is required */
  @Post()
  @Auth()
  @ApiOperation({ operationId: 'CreateArticle', summary: 'Create an article' })
  @ApiErrorResponses(409, 422, 429)
  create(@CurrentUser() viewer: Viewer, @Body() body: NewArticleRequestDto): Promise<SingleArticleResponseDto> {
    return this.articles.create(viewer, body.article);
  }

  /** Get an article. Auth not required (a token personalises `favorited` and `following`) */
  @Get(':slug')
  @OptionalAuth()
  @ReplicaReads()
  @CacheResponse({
    name: 'article',
    tags: (request) => articleReadTags.one(request.params.slug as string),
    overlay: ArticlesViewerOverlay,
  })
  @ApiOperation({ operationId: 'GetArticle', summary: 'Get an article' })
  @ApiParam({ name: 'slug', description: 'Slug of the article to get' })
  @ApiErrorResponses(404, 422)
  get(@Param('slug') slug: string, @MaybeCurrentUser() viewer?: Viewer): Promise<SingleArticleResponseDto> {
    return this.articles.get(slug, viewer);
  }

  /** Update an article (its author only). Auth is required */
  @Put(':slug')
  @Auth()
  @ApiOperation({ operationId: 'UpdateArticle', summary: 'Update an article' })
  @ApiParam({ name: 'slug', description: 'Slug of the article to update' })
  @ApiErrorResponses(403, 404, 409, 422)
  update(@CurrentUser() viewer: Viewer, @Param('slug') slug: string, @Body() body: UpdateArticleRequestDto): Promise<SingleArticleResponseDto> {
    return this.articles.update(viewer, slug, body.article);
  }

  /** Delete an article (its author only). Auth is required */
  @Delete(':slug')
  @HttpCode(HttpStatus.NO_CONTENT)
  @Auth()
  @ApiOperation({ operationId: 'DeleteArticle', summary: 'Delete an article' })
  @ApiParam({ name: 'slug', description: 'Slug of the article to delete' })
  @ApiNoContentResponse({ description: 'No content' })
  @ApiErrorResponses(403, 404, 422)
  delete(@CurrentUser() viewer: Viewer, @Param('slug') slug: string): Promise<void> {
    return this.articles.delete(viewer, slug);
  }

  /** Favorite an article (idempotent). Auth is required */
  @Post(':slug/favorite')
  @HttpCode(HttpStatus.OK)
  @Auth()
  @ApiOperation({ operationId: 'CreateArticleFavorite', summary: 'Favorite an article' })
  @ApiParam({ name: 'slug', description: 'Slug of the article that you want to favorite' })
  @ApiOkResponse({ type: SingleArticleResponseDto, description: 'Single article' })
  @ApiErrorResponses(404, 422)
  favorite(@CurrentUser() viewer: Viewer, @Param('slug') slug: string): Promise<SingleArticleResponseDto> {
    return this.articles.favorite(viewer, slug);
  }

  /** Unfavorite an article (idempotent). Auth is required */
  @Delete(':slug/favorite')
  @Auth()
  @ApiOperation({ operationId: 'DeleteArticleFavorite', summary: 'Unfavorite an article' })
  @ApiParam({ name: 'slug', description: 'Slug of the article that you want to unfavorite' })
  @ApiErrorResponses(404, 422)
  unfavorite(@CurrentUser() viewer: Viewer, @Param('slug') slug: string): Promise<SingleArticleResponseDto> {
    return this.articles.unfavorite(viewer, slug);
  }
}
