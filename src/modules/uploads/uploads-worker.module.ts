import { Module } from '@nestjs/common';
import { MediaMaintenance } from './media-maintenance.service';
import { MediaJobHandlers } from './media.handlers';
import { UploadsRepository } from './uploads.repository';

/** The worker side of uploads: the `media` queue's jobs and the storage housekeeping. */
@Module({
  providers: [MediaJobHandlers, MediaMaintenance, UploadsRepository],
})
export class UploadsWorkerModule {}
