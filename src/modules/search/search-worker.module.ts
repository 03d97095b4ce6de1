import { Module } from '@nestjs/common';
import { SearchCoreModule } from './search-core.module';
import { SearchIndexProcessor } from './search-index.processor';

/** The `search` queue's processor (worker process). */
@Module({
  imports: [SearchCoreModule],
  providers: [SearchIndexProcessor],
})
export class SearchWorkerModule {}
