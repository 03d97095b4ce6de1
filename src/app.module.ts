import { Module } from '@nestjs/common';
import { HealthModule } from '@/infra/health/health.module';
import { EventSubscriptionsModule } from '@/event-subscriptions';
import { InfrastructureModule } from '@/infra/infrastructure.module';
import { ReplicaReadsModule } from '@/infra/prisma/replica-reads.module';
import { RateLimitModule } from '@/infra/rate-limit/rate-limit.module';
import { ArticlesModule } from '@/modules/articles/articles.module';
import { CommentsModule } from '@/modules/comments/comments.module';
import { ProfilesModule } from '@/modules/profiles/profiles.module';
import { SearchCoreModule } from '@/modules/search/search-core.module';
import { SearchEngineIndicator } from '@/modules/search/search-engine.indicator';
import { SearchModule } from '@/modules/search/search.module';
import { TagsModule } from '@/modules/tags/tags.module';
import { UploadsModule } from '@/modules/uploads/uploads.module';
import { UsersModule } from '@/modules/users/users.module';

/** The api process: infrastructure and the feature modules that serve `/api`. */
@Module({
  imports: [InfrastructureModule, EventSubscriptionsModule, ReplicaReadsModule, HealthModule.forRoot({ imports: [SearchCoreModule], indicators: [SearchEngineIndicator] }), RateLimitModule, UsersModule, ProfilesModule, ArticlesModule, CommentsModule, TagsModule, SearchModule, UploadsModule],
})
export class AppModule {}
