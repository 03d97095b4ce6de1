import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Request, RequestHandler, Response } from 'express';
import multer, { MulterError } from 'multer';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Observable } from 'rxjs';
import type { AuthenticatedRequest } from '@/common/auth/auth.decorators';
import type { Environment } from '@/config/environment';
import { FileTooLarge, InvalidImage, NotMultipart, TooManyConcurrentUploads } from './uploads.errors';
import { ReceivedFile, UploadsService } from './uploads.service';

/** The form field that carries the image. */
export const FILE_FIELD = 'file';

/**
 * Parses the multipart body of an image upload, as a stream, with hard limits: the file is
 * written to a temporary file (never held in memory while the client sends it) up to
 * UPLOAD_MAX_BYTES, and a larger one is cut off there and answered 413 (the rest of the body is
 * discarded as it arrives). One file, a few small fields. Before the body is read at all, the
 * uploader's hourly limit and quota are checked, and the uploads one user has in flight in this
 * process are capped at UPLOADS_CONCURRENT_PER_USER (429 with Retry-After beyond). The temporary
 * file is deleted when the response is over, whatever happened.
 */
@Injectable()
export class ImageUploadInterceptor implements NestInterceptor {
  private readonly parse: RequestHandler;
  private readonly maxBytes: number;
  private readonly perUser: number;
  /** Uploads in flight in this process, by user id. */
  private readonly inFlight = new Map<number, number>();

  constructor(
    private readonly uploads: UploadsService,
    config: ConfigService<Environment, true>,
  ) {
    this.maxBytes = config.get('UPLOAD_MAX_BYTES', { infer: true });
    this.perUser = config.get('UPLOADS_CONCURRENT_PER_USER', { infer: true });
    const directory = path.join(tmpdir(), 'conduit-uploads');
    mkdirSync(directory, { recursive: true, mode: 0o700 });
    this.parse = multer({
      storage: multer.diskStorage({ destination: directory, filename: (_request, _file, done) => done(null, randomBytes(16).toString('hex')) }),
      // Keep the client's full file name, so that one trying to climb directories can be refused.
      preservePath: true,
      limits: { fileSize: this.maxBytes, files: 1, fields: 4, fieldSize: 1024, parts: 6, headerPairs: 20 },
    }).single(FILE_FIELD);
  }

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const http = context.switchToHttp();
    const request = http.getRequest<AuthenticatedRequest & { file?: ReceivedFile }>();
    const response = http.getResponse<Response>();
    try {
      if (!request.is('multipart/form-data')) throw new NotMultipart();
      this.claimSlot(request.viewer!.id);
    } catch (error) {
      return refusedBeforeReading(request, error, this.maxBytes);
    }
    const userId = request.viewer!.id;
    // 'close' comes once the response is sent or the connection is gone: the slot and the file are freed either way.
    response.once('close', () => {
      this.releaseSlot(userId);
      if (request.file?.path) void rm(request.file.path, { force: true });
    });
    try {
      await this.uploads.assertWithinLimits(userId);
    } catch (error) {
      return refusedBeforeReading(request, error, this.maxBytes);
    }
    await new Promise<void>((resolve, reject) => {
      this.parse(request as Request, response, (error: unknown) => (error ? reject(this.translate(error)) : resolve()));
    });
    return next.handle();
  }

  private claimSlot(userId: number): void {
    const current = this.inFlight.get(userId) ?? 0;
    if (current >= this.perUser) throw new TooManyConcurrentUploads(this.perUser);
    this.inFlight.set(userId, current + 1);
  }

  private releaseSlot(userId: number): void {
    const remaining = (this.inFlight.get(userId) ?? 1) - 1;
    if (remaining > 0) this.inFlight.set(userId, remaining);
    else this.inFlight.delete(userId);
  }

  private translate(error: unknown): Error {
    if (error instanceof MulterError) {
      switch (error.code) {
        case 'LIMIT_FILE_SIZE':
          return new FileTooLarge(this.maxBytes);
        case 'LIMIT_FILE_COUNT':
        case 'LIMIT_UNEXPECTED_FILE':
          return new InvalidImage(`exactly one file is accepted, in the field "${FILE_FIELD}"`);
        default:
          return new InvalidImage('has too many or too large form fields', 'body');
      }
    }
    // Busboy: a malformed body (no boundary, cut off mid-part).
    return new InvalidImage('is not valid multipart/form-data', 'body');
  }
}

/**
 * A refusal decided before the body is read (not multipart, too many uploads at once, over the
 * hourly limit). The body is discarded as it arrives, never buffered, and the answer waits until
 * it has all arrived: a server that answers and closes while the client is still sending makes
 * most clients see a broken pipe instead of the answer. The wait is bounded: past a little more
 * than the largest upload accepted, the answer goes at once, and HTTP_REQUEST_TIMEOUT_MS bounds
 * a client that sends slowly.
 */
async function refusedBeforeReading(request: Request, error: unknown, maxBytes: number): Promise<never> {
  await new Promise<void>((resolve) => {
    let received = 0;
    const done = (): void => {
      request.off('data', discard);
      resolve();
    };
    const discard = (chunk: Buffer): void => {
      received += chunk.length;
      if (received > maxBytes + 64 * 1024) done();
    };
    if (request.complete) return resolve();
    request.on('data', discard);
    request.once('end', done);
    request.once('close', done);
    request.once('error', done);
  });
  // Whatever still comes after the bound is discarded too.
  request.resume();
  throw error;
}
