import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Viewer } from '@/common/auth/viewer';
import { Page, toPage } from '@/common/pagination/page-query.dto';
import { ArticlesService } from '@/modules/articles/articles.service';
import type { SearchArticlesQueryDto, SearchArticlesResponseDto, TrendingTagsQueryDto, TrendingTagsResponseDto } from './dto/search.dto';
import { SEARCH_ENGINE, type SearchEngine } from './search-engine';
import { renderHighlights } from './search-text';
import { askSearchEngine } from './search.errors';
import { SearchLimits } from './search-limits';

const DEFAULT_TRENDING_DAYS = 7;
const DEFAULT_TRENDING_LIMIT = 10;

/**
 * Search over articles with the configured engine. The engine ranks and highlights; the articles
 * themselves (author, tags, counts, the viewer's flags) come from PostgreSQL through the articles
 * feature, so a result looks exactly like a list item of `GET /api/articles`.
 */
@Injectable()
export class SearchService {
  private readonly logger = new Logger('SearchService');

  constructor(
    @Inject(SEARCH_ENGINE) private readonly engine: SearchEngine,
    private readonly articles: ArticlesService,
    private readonly limits: SearchLimits,
  ) {}

  async searchArticles(query: SearchArticlesQueryDto, viewer?: Viewer): Promise<SearchArticlesResponseDto> {
    const page = this.withinTotal(toPage(query));
    const result = await this.ask(() =>
      this.engine.searchArticles({ text: query.q, tag: query.tag, author: query.author, ...page, totalMax: this.limits.totalMax }),
    );
    const items = await this.articles.listItemsByIds(result.hits.map((hit) => hit.articleId), viewer);
    // A hit whose article is gone (an index a moment behind) is left out of the page.
    const articles = result.hits.flatMap((hit) => {
      const item = items.get(hit.articleId);
      return item ? [{ ...item, score: hit.score, highlights: renderHighlights(hit.highlights) }] : [];
    });
    return { articles, articlesCount: this.limits.capped(result.total) };
  }

  async trendingTags(query: TrendingTagsQueryDto): Promise<TrendingTagsResponseDto> {
    const days = query.days ?? DEFAULT_TRENDING_DAYS;
    const tags = await this.ask(() => this.engine.trendingTags(days, query.limit ?? DEFAULT_TRENDING_LIMIT));
    return { tags, days };
  }

  /** Results past SEARCH_TOTAL_MAX are not counted, so not served either. */
  private withinTotal(page: Page): Page {
    return { offset: page.offset, limit: Math.max(0, Math.min(page.limit, this.limits.totalMax - page.offset)) };
  }

  private ask<T>(question: () => Promise<T>): Promise<T> {
    return this.limits.run(() => askSearchEngine(this.engine, this.logger, question));
  }
}

