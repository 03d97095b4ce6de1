import { Module } from '@nestjs/common';
import { SearchCoreModule } from './search-core.module';
import { SearchIndexJobHandlers } from './search-index.handlers';

/** The `search` queue's jobs (worker process). */
@Module({
  imports: [SearchCoreModule],
  providers: [SearchIndexJobHandlers],
})
export class SearchWorkerModule {}
