import { Module } from '@nestjs/common';
import { WriteLimitsModule } from '@/infra/rate-limit/rate-limit.module';
import { ArticlesModule } from '@/modules/articles/articles.module';
import { ProfilesModule } from '@/modules/profiles/profiles.module';
import { CommentsViewerOverlay } from './comments-viewer.overlay';
import { CommentsController } from './comments.controller';
import { CommentsRepository } from './comments.repository';
import { CommentsService } from './comments.service';

@Module({
  imports: [ArticlesModule, ProfilesModule, WriteLimitsModule],
  controllers: [CommentsController],
  providers: [CommentsService, CommentsRepository, CommentsViewerOverlay],
})
export class CommentsModule {}
