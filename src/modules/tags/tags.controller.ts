import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrorResponses } from '@/common/http/api-responses';
import { CacheResponse } from '@/infra/cache/cache-policy';
import { TagCacheTags } from './tags.cache-tags';
import { ReplicaReads } from '@/infra/prisma/replica-reads.interceptor';
import { TagsService } from './tags.service';

@ApiTags('Tags')
@Controller('tags')
export class TagsController {
  constructor(private readonly tags: TagsService) {}

  /** Tags in use by published articles, at most 100: the most used among the latest 1,000 articles first, then others by name. Auth not required */
  @Get()
  @ReplicaReads()
  @CacheResponse({ name: 'tags', tags: () => [TagCacheTags.all] })
  @ApiOperation({ operationId: 'GetTags', summary: 'Get tags' })
  @ApiOkResponse({
    description: 'Tags',
    schema: { type: 'object', required: ['tags'], properties: { tags: { type: 'array', items: { type: 'string' }, example: ['dragons', 'training'] } } },
  })
  @ApiErrorResponses(422)
  list(): Promise<{ tags: string[] }> {
    return this.tags.list();
  }
}
