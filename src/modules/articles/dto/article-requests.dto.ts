import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { PageQueryDto } from '@/common/pagination/page-query.dto';
import { Envelope, OptionalFutureDate, OptionalQueryText, OptionalText, OptionalTextList, OptionalUploadId, RequiredText } from '@/common/validation/decorators';

export const TITLE_MAX = 200;
export const DESCRIPTION_MAX = 1_000;
export const BODY_MAX = 100_000;
export const TAG_MAX = 40;
export const TAGS_PER_ARTICLE = 20;

const COVER_IMAGE_INPUT =
  'Conduit extension: the id of a processed cover upload of yours (POST /api/uploads/images with purpose=cover); responses show its URLs.';

export class NewArticleDto {
  @ApiProperty({ example: 'How to train your dragon', maxLength: TITLE_MAX, description: 'Must be unique: a title whose slug is taken gives 409.' })
  @RequiredText(TITLE_MAX)
  title: string;

  @ApiProperty({ example: 'Ever wonder how?', maxLength: DESCRIPTION_MAX })
  @RequiredText(DESCRIPTION_MAX)
  description: string;

  @ApiProperty({ example: 'You have to believe', maxLength: BODY_MAX })
  @RequiredText(BODY_MAX)
  body: string;

  @ApiPropertyOptional({ type: [String], example: ['reactjs', 'angularjs', 'dragons'], description: 'Duplicates are dropped; returned sorted.', maxItems: TAGS_PER_ARTICLE })
  @OptionalTextList(TAGS_PER_ARTICLE, TAG_MAX)
  tagList?: string[];

  @ApiPropertyOptional({
    format: 'date-time',
    example: '2030-01-01T09:00:00Z',
    description: 'Conduit extension: publish later. Until then only the author sees the article; followers are mailed when it appears.',
  })
  @OptionalFutureDate()
  publishAt?: string;

  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true, description: COVER_IMAGE_INPUT })
  @OptionalUploadId()
  coverImage?: string | null;
}

export class NewArticleRequestDto {
  @ApiProperty({ type: NewArticleDto })
  @Envelope(() => NewArticleDto)
  article: NewArticleDto;
}

export class UpdateArticleDto {
  @ApiPropertyOptional({ example: 'Did you train your dragon?', description: 'A new title gives a new slug; the old slug then answers 404.' })
  @OptionalText(TITLE_MAX)
  title?: string;

  @ApiPropertyOptional({ example: 'Ever wonder how?' })
  @OptionalText(DESCRIPTION_MAX)
  description?: string;

  @ApiPropertyOptional({ example: 'With two hands' })
  @OptionalText(BODY_MAX)
  body?: string;

  @ApiPropertyOptional({ type: [String], example: ['dragons'], description: 'Replaces the tags when given.' })
  @OptionalTextList(TAGS_PER_ARTICLE, TAG_MAX)
  tagList?: string[];

  @ApiPropertyOptional({ format: 'date-time', description: 'Conduit extension: reschedule an article that is not published yet.' })
  @OptionalFutureDate()
  publishAt?: string;

  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true, description: `${COVER_IMAGE_INPUT} \`null\` removes it.` })
  @OptionalUploadId()
  coverImage?: string | null;
}

export class UpdateArticleRequestDto {
  @ApiProperty({ type: UpdateArticleDto })
  @Envelope(() => UpdateArticleDto)
  article: UpdateArticleDto;
}

export class ListArticlesQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Filter by tag' })
  @OptionalQueryText(200)
  tag?: string;

  @ApiPropertyOptional({ description: 'Filter by author (username)' })
  @OptionalQueryText(200)
  author?: string;

  @ApiPropertyOptional({ description: 'Filter by favorites of a user (username)' })
  @OptionalQueryText(200)
  favorited?: string;
}
