import { Injectable, Logger } from '@nestjs/common';
import { JobData, JobHandler } from '@/infra/queue/job-handler';
import { ARTICLE_JOBS, type ArticleJobs } from './article-jobs';
import { ArticlesService } from './articles.service';

/** Scheduled publication: the article's outbox event is due at its `publishAt`. */
@Injectable()
export class ArticleJobHandlers {
  private readonly logger = new Logger('ArticleJobHandlers');

  constructor(private readonly articles: ArticlesService) {}

  @JobHandler(ARTICLE_JOBS, 'publish-article')
  async publishDue({ articleId }: JobData<ArticleJobs, 'publish-article'>): Promise<void> {
    if (await this.articles.publishDue(articleId)) this.logger.log(`published scheduled article ${articleId}`);
  }
}
