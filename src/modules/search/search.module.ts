import { MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Environment } from '@/config/environment';
import { ArticlesModule } from '@/modules/articles/articles.module';
import { ElasticsearchRequestLog } from './request-log.sink';
import { SearchCoreModule } from './search-core.module';
import { SearchController } from './search.controller';
import { SearchService } from './search.service';

/** The search API (api process), and the request log sink when LOG_ELASTICSEARCH is true. */
@Module({
  imports: [SearchCoreModule, ArticlesModule],
  controllers: [SearchController],
  providers: [SearchService, ElasticsearchRequestLog],
})
export class SearchModule implements NestModule {
  // Nest wires middleware when the application initialises, after creating every provider and module.
  constructor(private readonly config: ConfigService<Environment, true>) {}

  configure(consumer: MiddlewareConsumer): void {
    if (this.config.get('LOG_ELASTICSEARCH', { infer: true })) {
      consumer.apply(ElasticsearchRequestLog).forRoutes({ path: '*path', method: RequestMethod.ALL });
    }
  }
}
