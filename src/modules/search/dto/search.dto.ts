import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { applyDecorators } from '@nestjs/common';
import { ValidateBy } from 'class-validator';
import { PageQueryDto } from '@/common/pagination/page-query.dto';
import { OptionalQueryInteger, OptionalQueryText, RequiredText } from '@/common/validation/decorators';
import { ArticleListItemDto } from '@/modules/articles/dto/article-response.dto';
import { TAG_MAX } from '@/modules/articles/dto/article-requests.dto';
import { parseSearchText } from '../search-text';
import { hasSearchableWord } from '../stop-words';

export const QUERY_MAX = 200;
export const QUERY_MAX_WORDS = 32;
/** Deep pages are refused rather than served slowly: offset + limit stays within 10,000. */
export const SEARCH_OFFSET_MAX = 9_900;
export const TRENDING_DAYS_MAX = 365;
export const TRENDING_LIMIT_MAX = 50;

/** The search text: at most QUERY_MAX characters and QUERY_MAX_WORDS words, one of them not a stop word. */
function SearchText(): PropertyDecorator {
  return applyDecorators(
    RequiredText(QUERY_MAX),
    ValidateBy(
      { name: 'searchableWords', validator: { validate: (value: unknown) => typeof value !== 'string' || value.split(/\s+/).length <= QUERY_MAX_WORDS } },
      { message: `must have at most ${QUERY_MAX_WORDS} words` },
    ),
    ValidateBy(
      { name: 'searchableWord', validator: { validate: (value: unknown) => typeof value !== 'string' || hasSearchableWord(value) } },
      { message: 'must contain a word to search for (not only punctuation or words such as "the")' },
    ),
    // Exclusions alone would match, rank and count nearly every article.
    ValidateBy(
      { name: 'searchableRequiredWord', validator: { validate: (value: unknown) => typeof value !== 'string' || hasWordToFind(value) } },
      { message: 'must contain a word to find, not only words to exclude (-word)' },
    ),
  );
}

/** Whether the text asks for at least one word or phrase (not a stop word), besides any exclusions. */
function hasWordToFind(text: string): boolean {
  return parseSearchText(text).required.some((alternatives) => alternatives.some((term) => hasSearchableWord(term.text)));
}

/** The search text and a page: what every search route reads. */
export class SearchQueryDto extends PageQueryDto {
  @ApiProperty({
    example: 'dragon training',
    maxLength: QUERY_MAX,
    description:
      'Words to find (all of them, stemmed: "dragons" finds "dragon"), "quoted phrases", -word to exclude, `or` between alternatives. ' +
      'Typos are forgiven on the Elasticsearch engine.',
  })
  @SearchText()
  q: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: SEARCH_OFFSET_MAX, default: 0, description: 'The number of results to skip.' })
  @OptionalQueryInteger(0, SEARCH_OFFSET_MAX)
  declare offset?: number;
}

export class SearchArticlesQueryDto extends SearchQueryDto {
  @ApiPropertyOptional({ description: 'Only articles with this tag (exact name)', maxLength: TAG_MAX })
  @OptionalQueryText(TAG_MAX)
  tag?: string;

  @ApiPropertyOptional({ description: 'Only articles by this author (username)', maxLength: 100 })
  @OptionalQueryText(100)
  author?: string;
}

export class TrendingTagsQueryDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: TRENDING_DAYS_MAX, default: 7, description: 'The period: the last this many days.' })
  @OptionalQueryInteger(1, TRENDING_DAYS_MAX)
  days?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: TRENDING_LIMIT_MAX, default: 10, description: 'How many tags to return.' })
  @OptionalQueryInteger(1, TRENDING_LIMIT_MAX)
  limit?: number;
}

export class SearchHighlightsDto {
  @ApiPropertyOptional({ type: [String], example: ['How to train your <em>dragon</em>'] })
  title?: string[];

  @ApiPropertyOptional({ type: [String] })
  description?: string[];

  @ApiPropertyOptional({ type: [String], description: 'Up to two fragments of the body around the matches' })
  body?: string[];

  @ApiPropertyOptional({ type: [String], description: 'The matching tags' })
  tagList?: string[];
}

/** The highlights of a generated feature's search hit (see `nest g feature <name> --searchable`). */
export class FeatureSearchHighlightsDto {
  @ApiPropertyOptional({ type: [String], example: ['Notes on <em>dragons</em>'] })
  title?: string[];

  @ApiPropertyOptional({ type: [String], description: 'Up to two fragments of the text around the matches' })
  text?: string[];
}

export class ArticleSearchHitDto extends ArticleListItemDto {
  @ApiProperty({ example: 0.42, description: 'Relevance: higher is better. Comparable within one answer only; its scale depends on the engine.' })
  score: number;

  @ApiProperty({
    type: SearchHighlightsDto,
    description: 'The fields that matched, HTML-escaped, with the matched words in <em> tags. Fields without a match are left out.',
  })
  highlights: SearchHighlightsDto;
}

export class SearchArticlesResponseDto {
  @ApiProperty({ type: [ArticleSearchHitDto], description: 'Most relevant first' })
  articles: ArticleSearchHitDto[];

  @ApiProperty({ type: 'integer', description: 'How many articles match in all (not just this page), counted up to SEARCH_TOTAL_MAX (10,000 by default)' })
  articlesCount: number;
}

export class TrendingTagDto {
  @ApiProperty({ example: 'dragons' })
  tag: string;

  @ApiProperty({ type: 'integer', description: 'Articles published in the period with this tag' })
  articlesCount: number;

  @ApiProperty({ type: 'integer', description: 'Favorites of those articles' })
  favoritesCount: number;
}

export class TrendingTagsResponseDto {
  @ApiProperty({ type: [TrendingTagDto], description: 'Most new articles first, then most favorites, then by name' })
  tags: TrendingTagDto[];

  @ApiProperty({ type: 'integer', example: 7 })
  days: number;
}
