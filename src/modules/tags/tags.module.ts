import { Module } from '@nestjs/common';
import { WriteLimitsModule } from '@/infra/rate-limit/rate-limit.module';
import { TagsController } from './tags.controller';
import { TagsRepository } from './tags.repository';
import { TagsService } from './tags.service';

@Module({
  imports: [WriteLimitsModule],
  controllers: [TagsController],
  providers: [TagsService, TagsRepository],
  exports: [TagsService],
})
export class TagsModule {}
