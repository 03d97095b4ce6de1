import { MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { NextFunction, Request, Response } from 'express';
import type { Environment } from '@/config/environment';
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
  // Nest wires middleware when the application initialises, after creating every provider and module.
  constructor(
    private readonly requestLog: RequestLogSink,
    private readonly config: ConfigService<Environment, true>,
  ) {}

  configure(consumer: MiddlewareConsumer): void {
    if (this.config.get('LOG_ELASTICSEARCH', { infer: true })) {
      // A function over the provider, not the class: Nest would build a middleware class a second
      // instance of its own, whose buffer no shutdown hook would ever flush.
      consumer.apply((request: Request, response: Response, next: NextFunction) => this.requestLog.use(request, response, next)).forRoutes({ path: '*path', method: RequestMethod.ALL });
    }
  }
}
