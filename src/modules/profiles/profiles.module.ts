import { Module } from '@nestjs/common';
import { ProfileViewerOverlay } from './profile-viewer.overlay';
import { ProfilesController } from './profiles.controller';
import { ProfilesRepository } from './profiles.repository';
import { ProfilesService } from './profiles.service';

@Module({
  controllers: [ProfilesController],
  providers: [ProfilesService, ProfilesRepository, ProfileViewerOverlay],
  exports: [ProfilesService],
})
export class ProfilesModule {}
