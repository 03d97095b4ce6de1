import { ApiProperty, ApiPropertyOptional, OmitType } from '@nestjs/swagger';
import { ProfileDto } from '@/modules/profiles/dto/profile-response.dto';
import { CoverImageDto } from '@/modules/uploads/dto/upload.dto';

export class ArticleDto {
  @ApiProperty({ example: 'how-to-train-your-dragon' })
  slug: string;

  @ApiProperty({ example: 'How to train your dragon' })
  title: string;

  @ApiProperty({ example: 'Ever wonder how?' })
  description: string;

  @ApiProperty({ example: 'It takes a Jacobian' })
  body: string;

  @ApiProperty({ type: [String], example: ['dragons', 'training'], description: 'Sorted alphabetically' })
  tagList: string[];

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt: string;

  @ApiProperty({ description: 'Whether the caller has favorited it (false for anonymous callers)' })
  favorited: boolean;

  @ApiProperty({ type: 'integer', example: 0 })
  favoritesCount: number;

  @ApiProperty({ type: ProfileDto })
  author: ProfileDto;

  @ApiPropertyOptional({
    format: 'date-time',
    description: 'Conduit extension: present only on a scheduled, not yet published article (which only its author can see).',
  })
  publishAt?: string;

  @ApiPropertyOptional({ type: CoverImageDto, description: 'Conduit extension: the cover image, present only when the article has one.' })
  coverImage?: CoverImageDto;
}

/** Articles in a list carry no `body`. */
export class ArticleListItemDto extends OmitType(ArticleDto, ['body'] as const) {}

export class SingleArticleResponseDto {
  @ApiProperty({ type: ArticleDto })
  article: ArticleDto;
}

export class MultipleArticlesResponseDto {
  @ApiProperty({ type: [ArticleListItemDto] })
  articles: ArticleListItemDto[];

  @ApiProperty({ type: 'integer', description: 'How many articles match the filters in all (not just this page)' })
  articlesCount: number;
}
