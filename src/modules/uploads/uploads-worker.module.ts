import { Module } from '@nestjs/common';
import { MediaMaintenance } from './media-maintenance.service';
import { MediaProcessor } from './media.processor';
import { UploadsRepository } from './uploads.repository';

/** The worker side of uploads: the `media` queue's processor and the storage housekeeping. */
@Module({
  providers: [MediaProcessor, MediaMaintenance, UploadsRepository],
  exports: [MediaMaintenance],
})
export class UploadsWorkerModule {}
