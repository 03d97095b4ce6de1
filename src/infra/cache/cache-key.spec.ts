import { Controller, Get, Param, Query } from '@nestjs/common';
import { IsOptional, IsString } from 'class-validator';
import { canonicalUrl, queryParametersOf } from './cache-key';

class ListQuery {
  @IsOptional()
  @IsString()
  tag?: string;

  @IsOptional()
  @IsString()
  author?: string;
}

@Controller('things')
class ThingsController {
  @Get()
  list(@Query() query: ListQuery): ListQuery {
    return query;
  }

  @Get(':id')
  one(@Param('id') id: string, @Query('view') view?: string): string {
    return `${id}${view ?? ''}`;
  }

  @Get('plain/all')
  plain(): string {
    return 'plain';
  }
}

describe('queryParametersOf', () => {
  it('lists the validated properties of a @Query() DTO, and named @Query() arguments', () => {
    expect(queryParametersOf(ThingsController.prototype, 'list')).toEqual(['author', 'tag']);
    expect(queryParametersOf(ThingsController.prototype, 'one')).toEqual(['view']);
    expect(queryParametersOf(ThingsController.prototype, 'plain')).toEqual([]);
  });
});

describe('canonicalUrl', () => {
  it('keeps only the parameters the route reads, sorted, with every value', () => {
    expect(canonicalUrl('/api/articles/a-slug?x=1&utm=2', [])).toBe('/api/articles/a-slug');
    expect(canonicalUrl('/api/articles?tag=b&junk=1&author=a', ['author', 'tag'])).toBe('/api/articles?author=a&tag=b');
    expect(canonicalUrl('/api/articles?tag=b&tag=c', ['tag'])).toBe('/api/articles?tag=b&tag=c');
    expect(canonicalUrl('/api/articles?tag=', ['tag'])).toBe('/api/articles?tag=');
  });
});
