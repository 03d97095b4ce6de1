import { ApiPropertyOptional } from '@nestjs/swagger';
import { OptionalQueryInteger } from '@/common/validation/decorators';

export const DEFAULT_LIMIT = 20;
/** Larger limits are lowered to this rather than refused, as clients often ask for "everything". */
export const MAX_LIMIT = 100;
const MAX_OFFSET = 2_147_483_647;

/** `limit` and `offset` query parameters, shared by every paginated list. */
export class PageQueryDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, default: DEFAULT_LIMIT, description: `The numbers of items to return (at most ${MAX_LIMIT}; larger values are capped).` })
  @OptionalQueryInteger(1, MAX_OFFSET)
  limit?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 0, default: 0, description: 'The number of items to skip before starting to collect the result set.' })
  @OptionalQueryInteger(0, MAX_OFFSET)
  offset?: number;
}

export interface Page {
  limit: number;
  offset: number;
}

/**
 * An article's comments, newest first, a page at a time: the spec returns them all, which for a
 * busy article is an unbounded answer. By default a page is as large as pages get, so that a
 * client unaware of paging sees the latest MAX_LIMIT comments.
 */
export class CommentPageQueryDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, default: MAX_LIMIT, description: `The number of comments to return, newest first (at most ${MAX_LIMIT}; larger values are capped).` })
  @OptionalQueryInteger(1, MAX_OFFSET)
  limit?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 0, default: 0, description: 'The number of comments to skip, newest first.' })
  @OptionalQueryInteger(0, MAX_OFFSET)
  offset?: number;
}

export function toPage(query: PageQueryDto, defaultLimit = DEFAULT_LIMIT): Page {
  return { limit: Math.min(query.limit ?? defaultLimit, MAX_LIMIT), offset: query.offset ?? 0 };
}
