import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Environment } from '@/config/environment';
import { ObjectStorage } from '@/infra/storage/object-storage';
import { UploadsRepository } from './uploads.repository';

const BATCH = 200;
/** A write still unfinished after this long belongs to a process that died (a write takes seconds at most). */
const ABANDONED_WRITE_MS = 3600_000;

/**
 * Storage housekeeping, run by the scheduled queue every hour: deletes the originals of processed
 * uploads, then uploads (and their variant files) that no user has as avatar and no article as
 * cover, once they are older than UPLOAD_UNUSED_TTL_HOURS (a fresh upload is not in use yet);
 * and the temporary files of writes whose worker was killed mid-write.
 */
@Injectable()
export class MediaMaintenance {
  private readonly logger = new Logger('MediaMaintenance');
  private readonly unusedTtlMs: number;

  constructor(
    private readonly uploads: UploadsRepository,
    private readonly storage: ObjectStorage,
    config: ConfigService<Environment, true>,
  ) {
    this.unusedTtlMs = config.get('UPLOAD_UNUSED_TTL_HOURS', { infer: true }) * 3600_000;
  }

  async collect(now = new Date()): Promise<{ originals: number; uploads: number; files: number; abandonedWrites: number }> {
    let originals = 0;
    for (let batch = await this.uploads.processedWithOriginal(BATCH); batch.length > 0; batch = await this.uploads.processedWithOriginal(BATCH)) {
      for (const upload of batch) {
        if (upload.originalKey) await this.storage.delete('originals', upload.originalKey);
        await this.uploads.forgetOriginal(upload.id, upload.originalBytes);
        originals += 1;
      }
    }
    let uploads = 0;
    let files = 0;
    const before = new Date(now.getTime() - this.unusedTtlMs);
    for (let batch = await this.uploads.deleteUnused(before, BATCH); batch.length > 0; batch = await this.uploads.deleteUnused(before, BATCH)) {
      for (const upload of batch) {
        if (upload.originalKey) await this.storage.delete('originals', upload.originalKey);
        for (const file of upload.files) await this.storage.delete('media', file);
        files += upload.files.length;
      }
      uploads += batch.length;
    }
    const abandonedWrites = await this.storage.sweepAbandonedWrites(new Date(now.getTime() - ABANDONED_WRITE_MS));
    if (originals + uploads + abandonedWrites > 0) {
      this.logger.log(`deleted ${originals} processed original(s), ${uploads} unused upload(s), ${files} variant file(s), ${abandonedWrites} abandoned write(s)`);
    }
    return { originals, uploads, files, abandonedWrites };
  }
}
