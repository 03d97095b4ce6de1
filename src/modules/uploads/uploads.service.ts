import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Environment } from '@/config/environment';
import type { Viewer } from '@/common/auth/viewer';
import { OutboxService } from '@/infra/outbox/outbox.service';
import { isForeignKeyViolation } from '@/infra/prisma/prisma-errors';
import { TransactionRunner } from '@/infra/prisma/transaction-runner';
import { ObjectStorage } from '@/infra/storage/object-storage';
import type { UploadResponseDto } from './dto/upload.dto';
import { MEDIA_JOBS } from './media-jobs';
import { isUploadId } from './upload-id';
import { AcceptedType, dimensionProblem, fileNameProblem, ImageLimits, isStructurallyComplete, sniffImageType } from './image-inspection';
import { avatarUrl, coverImage, toUploadResponse } from './upload.mapper';
import type { CoverImage, UploadPurpose, VariantRecord } from './upload.types';
import { InvalidImage, StorageQuotaExceeded, TooManyUploads, UnsupportedImageType, UnusableUpload, UploadNotFound } from './uploads.errors';
import { UploadRow, UploadsRepository } from './uploads.repository';

/** A file as the multipart parser hands it over: written to a temporary file, not held in memory. */
export interface ReceivedFile {
  originalname: string;
  size: number;
  /** The temporary file (deleted by ImageUploadInterceptor once the request is over). */
  path: string;
}

const HOUR_MS = 3600_000;

/**
 * Image uploads, api side: checks a file's bytes (type, completeness, declared dimensions) before
 * storing anything, enforces the per-user limits, stores the original and writes the `media` job
 * to the outbox in the transaction that records the upload. The worker does the decoding
 * (MediaProcessor). Other features turn an upload id into URLs through `avatarFor`/`coverFor`.
 */
@Injectable()
export class UploadsService {
  private readonly limits: ImageLimits;
  private readonly perHour: number;
  private readonly quotaBytes: number;

  constructor(
    private readonly uploads: UploadsRepository,
    private readonly storage: ObjectStorage,
    private readonly transaction: TransactionRunner,
    private readonly outbox: OutboxService,
    config: ConfigService<Environment, true>,
  ) {
    this.limits = { maxPixels: config.get('IMAGE_MAX_PIXELS', { infer: true }), maxDimension: config.get('IMAGE_MAX_DIMENSION', { infer: true }) };
    this.perHour = config.get('UPLOADS_PER_HOUR', { infer: true });
    this.quotaBytes = config.get('UPLOAD_QUOTA_BYTES', { infer: true });
  }

  /** Checked before the body is read, so that a refused client does not send megabytes for nothing. */
  async assertWithinLimits(ownerId: number, incomingBytes = 0): Promise<void> {
    this.checkUsage(await this.uploads.usage(ownerId, new Date(Date.now() - HOUR_MS)), incomingBytes);
  }

  async accept(viewer: Viewer, file: ReceivedFile | undefined, purpose: UploadPurpose): Promise<UploadResponseDto> {
    const { received, bytes, mimeType } = await this.inspect(file);
    const id = randomUUID();
    const row = await this.transaction.run(async (db) => {
      await this.uploads.lockOwner(viewer.id, db);
      this.checkUsage(await this.uploads.usage(viewer.id, new Date(Date.now() - HOUR_MS), db), received.size);
      const created = await this.uploads.create({ id, ownerId: viewer.id, purpose, mimeType, originalKey: id, originalBytes: received.size }, db);
      await this.outbox.add(db, MEDIA_JOBS.intent('process-upload', { uploadId: id }));
      // Stored last, inside the transaction: if storing fails nothing is recorded.
      await this.storage.put('originals', id, bytes, mimeType);
      return created;
    }).catch(async (error: unknown) => {
      // The commit itself may fail after the original was stored: leave nothing behind.
      await this.storage.delete('originals', id).catch(() => undefined);
      throw error;
    });
    return toUploadResponse(row);
  }

  async get(viewer: Viewer, id: string): Promise<UploadResponseDto> {
    return toUploadResponse(await this.owned(viewer.id, id, 'upload'));
  }

  /** The avatar URL of a processed avatar upload of `ownerId`; 422 on `image` otherwise. */
  async avatarFor(ownerId: number, id: string): Promise<{ uploadId: string; url: string }> {
    const upload = await this.usable(ownerId, id, 'avatar', 'image');
    return { uploadId: upload.id, url: avatarUrl(upload.variants) };
  }

  /** The cover image of a processed cover upload of `ownerId`; 422 on `coverImage` otherwise. */
  async coverFor(ownerId: number, id: string): Promise<{ uploadId: string; image: CoverImage }> {
    const upload = await this.usable(ownerId, id, 'cover', 'coverImage');
    return { uploadId: upload.id, image: coverImage(upload.variants) };
  }

  private async usable(ownerId: number, id: string, purpose: UploadPurpose, field: string): Promise<UploadRow & { variants: VariantRecord[] }> {
    const upload = await this.owned(ownerId, id, field);
    if (upload.purpose !== purpose) throw new UnusableUpload(field, `upload is a ${upload.purpose} image, not ${purpose === 'avatar' ? 'an avatar' : 'a cover'}`);
    if (upload.status === 'pending') throw new UnusableUpload(field, 'upload is still being processed; try again shortly');
    if (upload.status === 'failed' || !upload.variants) throw new UnusableUpload(field, `upload failed: ${upload.failureReason ?? 'could not be processed'}`);
    return { ...upload, variants: upload.variants };
  }

  /**
   * Runs the write that attaches an upload resolved by `avatarFor`/`coverFor`. The upload can be
   * deleted in between (the garbage collector deletes old unused ones); the foreign key then
   * refuses the write, and the client gets the same 422 as for an unknown upload.
   */
  async attaching<T>(field: 'image' | 'coverImage', write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if (isForeignKeyViolation(error)) throw new UnusableUpload(field, 'upload not found');
      throw error;
    }
  }

  /** Someone else's upload is not found, as if it did not exist. */
  private async owned(ownerId: number, id: string, field: string): Promise<UploadRow> {
    const upload = isUploadId(id) ? await this.uploads.find(id.toLowerCase()) : null;
    if (!upload || upload.ownerId !== ownerId) {
      if (field === 'upload') throw new UploadNotFound();
      throw new UnusableUpload(field, 'upload not found');
    }
    return upload;
  }

  /** The file and its type from the bytes, or a 4xx saying what is wrong with it. */
  private async inspect(file: ReceivedFile | undefined): Promise<{ received: ReceivedFile; bytes: Buffer; mimeType: AcceptedType }> {
    if (!file) throw new InvalidImage("can't be blank");
    const nameProblem = fileNameProblem(file.originalname);
    if (nameProblem) throw new InvalidImage(nameProblem, 'filename');
    if (file.size === 0) throw new InvalidImage('is empty');
    // In memory from here to the store only; ImageUploadInterceptor bounds how many uploads get here at once.
    const bytes = await readFile(file.path);
    const type = sniffImageType(bytes);
    if (!type) throw new UnsupportedImageType();
    if (!isStructurallyComplete(type, bytes)) throw new InvalidImage('is truncated or corrupt');
    const { width, height } = await readDimensions(bytes);
    const problem = dimensionProblem(width, height, this.limits);
    if (problem) throw new InvalidImage(problem);
    return { received: file, bytes, mimeType: type };
  }

  private checkUsage(usage: { lastHour: number; oldestInLastHour: Date | null; storedBytes: number }, incomingBytes: number): void {
    if (usage.lastHour >= this.perHour) {
      const retryAfter = usage.oldestInLastHour ? Math.ceil((usage.oldestInLastHour.getTime() + HOUR_MS - Date.now()) / 1000) : 3600;
      throw new TooManyUploads(this.perHour, Math.max(1, retryAfter));
    }
    if (usage.storedBytes + incomingBytes > this.quotaBytes) throw new StorageQuotaExceeded(this.quotaBytes);
  }
}

/**
 * The dimensions the header declares, without decoding the pixels. sharp is loaded on the first
 * upload rather than at start-up: the api needs it for this header read only.
 */
async function readDimensions(bytes: Buffer): Promise<{ width: number; height: number }> {
  const { default: sharp } = await import('sharp');
  try {
    const metadata = await sharp(bytes, { limitInputPixels: false }).metadata();
    return { width: metadata.width ?? 0, height: metadata.height ?? 0 };
  } catch {
    throw new InvalidImage('is truncated or corrupt');
  }
}
