import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { MaybeCurrentUser, OptionalAuth } from '@/common/auth/auth.decorators';
import type { Viewer } from '@/common/auth/viewer';
import { ApiErrorResponses } from '@/common/http/api-responses';
import { ReplicaReads } from '@/infra/prisma/replica-reads.interceptor';
import { SearchRateLimit } from '@/infra/rate-limit/rate-limit';
import { SearchArticlesQueryDto, SearchArticlesResponseDto, TrendingTagsQueryDto, TrendingTagsResponseDto } from './dto/search.dto';
import { SearchService } from './search.service';

@ApiTags('Search')
@Controller('search')
export class SearchController {
  constructor(private readonly search: SearchService) {}

  /**
   * Full-text search over published articles (title, tags, description, body), most relevant first,
   * with highlighted snippets; optionally only one tag's or one author's. Auth is optional (a
   * token personalises `favorited` and `following`). Not cached: every answer is fresh.
   */
  @Get('articles')
  @OptionalAuth()
  @SearchRateLimit()
  @ReplicaReads()
  @ApiOperation({ operationId: 'SearchArticles', summary: 'Search articles' })
  @ApiErrorResponses(422)
  @ApiResponse({ status: 429, description: 'More than SEARCH_RATE_LIMIT_MAX searches from this address in the window (see Retry-After)', schema: { $ref: '#/components/schemas/GenericErrorModel' } })
  @ApiResponse({
    status: 503,
    description: 'The search engine is unavailable, every search slot is busy (SEARCH_MAX_CONCURRENT), or the search ran past SEARCH_STATEMENT_TIMEOUT_MS (see Retry-After)',
    schema: { $ref: '#/components/schemas/GenericErrorModel' },
  })
  articles(@Query() query: SearchArticlesQueryDto, @MaybeCurrentUser() viewer?: Viewer): Promise<SearchArticlesResponseDto> {
    return this.search.searchArticles(query, viewer);
  }

  /** Tags ranked by the articles published with them in the last `days` days, then by those articles' favorites. Auth not required */
  @Get('tags/trending')
  @SearchRateLimit()
  @ReplicaReads()
  @ApiOperation({ operationId: 'GetTrendingTags', summary: 'Get trending tags' })
  @ApiErrorResponses(422)
  @ApiResponse({ status: 503, description: 'The search engine is unavailable', schema: { $ref: '#/components/schemas/GenericErrorModel' } })
  trending(@Query() query: TrendingTagsQueryDto): Promise<TrendingTagsResponseDto> {
    return this.search.trendingTags(query);
  }
}
