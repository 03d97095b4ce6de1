import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import sharp from 'sharp';
import type { Environment } from '@/config/environment';
import { JobHandler } from '@/infra/queue/job-handler';
import { ObjectStorage } from '@/infra/storage/object-storage';
import type { ImageLimits } from './image-inspection';
import { ImageRejected, renderVariants } from './image-variants';
import { MediaMaintenance } from './media-maintenance.service';
import { MEDIA_JOBS, MEDIA_SCHEDULED_JOBS, type MediaJobs } from './media-jobs';
import type { VariantRecord } from './upload.types';
import { UploadsRepository } from './uploads.repository';

/**
 * The `media` queue: decodes an uploaded original under explicit limits and writes its variants.
 * Safe to repeat (a retry, a worker killed mid-job, a re-delivered outbox event): variant names are
 * content hashes, so a repeat rewrites the same files, and only a pending upload is marked ready.
 * An image that cannot be decoded fails the upload at once (no retries) with a reason. And the
 * hourly storage housekeeping (MediaMaintenance).
 */
@Injectable()
export class MediaJobHandlers implements OnModuleInit {
  private readonly logger = new Logger('MediaJobHandlers');
  private readonly limits: ImageLimits;
  private readonly publicUrl: string;

  constructor(
    private readonly uploads: UploadsRepository,
    private readonly storage: ObjectStorage,
    private readonly maintenance: MediaMaintenance,
    config: ConfigService<Environment, true>,
  ) {
    this.limits = { maxPixels: config.get('IMAGE_MAX_PIXELS', { infer: true }), maxDimension: config.get('IMAGE_MAX_DIMENSION', { infer: true }) };
    this.publicUrl = config.get('MEDIA_PUBLIC_URL', { infer: true }).replace(/\/+$/, '');
  }

  onModuleInit(): void {
    // Bounded memory: no decoded-image cache between jobs, and one libvips thread per job.
    sharp.cache(false);
    sharp.concurrency(1);
  }

  @JobHandler(MEDIA_SCHEDULED_JOBS, 'media-gc', { schedule: { id: 'media-gc', repeat: { every: 3600_000 } } })
  async collectGarbage(): Promise<void> {
    await this.maintenance.collect();
  }

  @JobHandler(MEDIA_JOBS, 'process-upload')
  async processUpload({ uploadId }: MediaJobs['process-upload']): Promise<void> {
    const upload = await this.uploads.find(uploadId);
    if (!upload || upload.status !== 'pending' || !upload.originalKey) return;
    const original = await this.storage.read('originals', upload.originalKey);
    const started = performance.now();
    try {
      const variants = await renderVariants(original, upload.purpose, this.limits);
      const records: VariantRecord[] = [];
      for (const { data, contentType, ...variant } of variants) {
        await this.storage.put('media', variant.file, data, contentType);
        records.push({ ...variant, url: `${this.publicUrl}/${variant.file}` });
      }
      await this.uploads.markReady(uploadId, records);
      this.logger.log(`upload ${uploadId} processed in ${Math.round(performance.now() - started)} ms`);
    } catch (error) {
      if (!(error instanceof ImageRejected)) throw error;
      await this.storage.delete('originals', upload.originalKey);
      await this.uploads.markFailed(uploadId, `the image ${error.message}`);
      this.logger.warn(`upload ${uploadId} refused: ${error.message}`);
    }
  }
}
