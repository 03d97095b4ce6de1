import { Module } from '@nestjs/common';
import { ImageUploadInterceptor } from './image-upload.interceptor';
import { UploadsController } from './uploads.controller';
import { UploadsRepository } from './uploads.repository';
import { UploadsService } from './uploads.service';

/** The api side of image uploads; users and articles resolve upload ids through UploadsService. */
@Module({
  controllers: [UploadsController],
  providers: [UploadsService, UploadsRepository, ImageUploadInterceptor],
  exports: [UploadsService],
})
export class UploadsModule {}
