import { Module } from '@nestjs/common';
import { ArticleJobHandlers } from './article.handlers';
import { ArticlesModule } from './articles.module';

/** The worker side of articles: scheduled publication. */
@Module({
  imports: [ArticlesModule],
  providers: [ArticleJobHandlers],
})
export class ArticlesWorkerModule {}
