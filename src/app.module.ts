import { Module } from '@nestjs/common';
import { AuthModule } from '@/common/auth/auth.module';
import { ConfigModule } from '@/config/config.module';
import { CacheModule } from '@/infra/cache/cache.module';
import { OutboxModule } from '@/infra/outbox/outbox.module';
import { PrismaModule } from '@/infra/prisma/prisma.module';
import { QueueModule } from '@/infra/queue/queue.module';
import { RedisModule } from '@/infra/redis/redis.module';
import { ArticlesModule } from '@/modules/articles/articles.module';
import { CommentsModule } from '@/modules/comments/comments.module';
import { ProfilesModule } from '@/modules/profiles/profiles.module';
import { TagsModule } from '@/modules/tags/tags.module';
import { UsersModule } from '@/modules/users/users.module';

@Module({
  imports: [
    ConfigModule,
    PrismaModule,
    RedisModule,
    CacheModule,
    QueueModule,
    OutboxModule,
    AuthModule,
    UsersModule,
    ProfilesModule,
    ArticlesModule,
    CommentsModule,
    TagsModule,
  ],
})
export class AppModule {}
