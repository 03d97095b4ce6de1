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

export function toPage(query: PageQueryDto): Page {
  return { limit: Math.min(query.limit ?? DEFAULT_LIMIT, MAX_LIMIT), offset: query.offset ?? 0 };
}
