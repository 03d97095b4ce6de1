import { MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { ArticlesModule } from '@/modules/articles/articles.module';
import { RequestLogSink } from './request-log.sink';
import { SearchCoreModule } from './search-core.module';
import { SearchController } from './search.controller';
import { SearchService } from './search.service';

/** The search API (api process), and the request log sink when LOG_ELASTICSEARCH is true. */
@Module({
  imports: [SearchCoreModule, ArticlesModule],
  controllers: [SearchController],
  providers: [SearchService, RequestLogSink],
})
export class SearchModule implements NestModule {
  constructor(private readonly requestLog: RequestLogSink) {}

  configure(consumer: MiddlewareConsumer): void {
    // Read here, not through ConfigService: middleware is wired before providers are created.
    if (['true', '1', 'yes', 'on'].includes((process.env.LOG_ELASTICSEARCH ?? '').toLowerCase())) {
      // A function over the provider, not the class: Nest would build a middleware class a second
      // instance of its own, whose buffer no shutdown hook would ever flush.
      consumer.apply((request: Request, response: Response, next: NextFunction) => this.requestLog.use(request, response, next)).forRoutes({ path: '*path', method: RequestMethod.ALL });
    }
  }
}
