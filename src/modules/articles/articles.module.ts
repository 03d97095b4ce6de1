import { Module } from '@nestjs/common';
import { WriteLimitsModule } from '@/infra/rate-limit/rate-limit.module';
import { ProfilesModule } from '@/modules/profiles/profiles.module';
import { TagsModule } from '@/modules/tags/tags.module';
import { UploadsModule } from '@/modules/uploads/uploads.module';
import { ArticlesViewerOverlay } from './articles-viewer.overlay';
import { ArticlesController } from './articles.controller';
import { ArticlesRepository } from './articles.repository';
import { ArticlesService } from './articles.service';

@Module({
  imports: [ProfilesModule, TagsModule, UploadsModule, WriteLimitsModule],
  controllers: [ArticlesController],
  providers: [ArticlesService, ArticlesRepository, ArticlesViewerOverlay],
  exports: [ArticlesService],
})
export class ArticlesModule {}
