import { MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
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
  configure(consumer: MiddlewareConsumer): void {
    // Read here, not through ConfigService: middleware is wired before providers are created.
    if (['true', '1', 'yes', 'on'].includes((process.env.LOG_ELASTICSEARCH ?? '').toLowerCase())) {
      consumer.apply(ElasticsearchRequestLog).forRoutes({ path: '*path', method: RequestMethod.ALL });
    }
  }
}
