import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Request, RequestHandler, Response } from 'express';
import multer, { MulterError } from 'multer';
import type { Observable } from 'rxjs';
import type { AuthenticatedRequest } from '@/common/auth/auth.decorators';
import type { Environment } from '@/config/environment';
import { FileTooLarge, InvalidImage, NotMultipart } from './uploads.errors';
import { UploadsService } from './uploads.service';

/** The form field that carries the image. */
export const FILE_FIELD = 'file';

/**
 * Parses the multipart body of an image upload, as a stream, with hard limits: the file is read
 * into memory only up to UPLOAD_MAX_BYTES, and a larger one is cut off there and answered 413
 * (the rest of the body is discarded as it arrives, never buffered). One file, a few small fields.
 * The uploader's hourly limit and quota are checked before the body is read at all.
 */
@Injectable()
export class ImageUploadInterceptor implements NestInterceptor {
  private readonly parse: RequestHandler;
  private readonly maxBytes: number;

  constructor(
    private readonly uploads: UploadsService,
    config: ConfigService<Environment, true>,
  ) {
    this.maxBytes = config.get('UPLOAD_MAX_BYTES', { infer: true });
    this.parse = multer({
      storage: multer.memoryStorage(),
      // Keep the client's full file name, so that one trying to climb directories can be refused.
      preservePath: true,
      limits: { fileSize: this.maxBytes, files: 1, fields: 4, fieldSize: 1024, parts: 6, headerPairs: 20 },
    }).single(FILE_FIELD);
  }

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const http = context.switchToHttp();
    const request = http.getRequest<AuthenticatedRequest>();
    if (!request.is('multipart/form-data')) throw new NotMultipart();
    await this.uploads.assertWithinLimits(request.viewer!.id);
    await new Promise<void>((resolve, reject) => {
      this.parse(request as Request, http.getResponse<Response>(), (error: unknown) => (error ? reject(this.translate(error)) : resolve()));
    });
    return next.handle();
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
