import { DomainError, InvalidError, NotFoundError } from '@/common/errors/domain-error';

export class UploadNotFound extends NotFoundError {
  constructor() {
    super('upload');
  }
}

export class FileTooLarge extends DomainError {
  readonly status = 413;
  constructor(maxBytes: number) {
    super('file', `is too large (maximum is ${formatBytes(maxBytes)})`);
  }
}

export class StorageQuotaExceeded extends DomainError {
  readonly status = 413;
  constructor(quotaBytes: number) {
    super('storage', `quota of ${formatBytes(quotaBytes)} is used up; images no longer used are deleted after a day`);
  }
}

export class TooManyUploads extends DomainError {
  readonly status = 429;
  constructor(
    perHour: number,
    readonly retryAfterSeconds: number,
  ) {
    super('upload', `limit of ${perHour} images per hour reached`);
  }
  override get headers(): Record<string, string> {
    return { 'Retry-After': String(this.retryAfterSeconds) };
  }
}

/** One user's uploads in flight in one api process are bounded: each holds a file and, while inspected, its bytes. */
export class TooManyConcurrentUploads extends DomainError {
  readonly status = 429;
  constructor(perUser: number) {
    super('upload', `at most ${perUser} ${perUser === 1 ? 'upload' : 'uploads'} at a time; retry when one has finished`);
  }
  override get headers(): Record<string, string> {
    return { 'Retry-After': '1' };
  }
}

export class UnsupportedImageType extends DomainError {
  readonly status = 415;
  constructor() {
    super('file', 'must be a JPEG, PNG, WebP, AVIF or GIF image');
  }
}

export class NotMultipart extends DomainError {
  readonly status = 415;
  constructor() {
    super('body', 'must be multipart/form-data with the image in the field "file"');
  }
}

/** The file itself is unusable: empty, cut off, too many pixels, a bad name. */
export class InvalidImage extends InvalidError {
  constructor(message: string, key = 'file') {
    super(key, message);
  }
}

/** An upload id given where an image is expected, that cannot be used (yet). */
export class UnusableUpload extends InvalidError {}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${+(bytes / 1024 / 1024).toFixed(1)} MB`;
  if (bytes >= 1024) return `${+(bytes / 1024).toFixed(1)} KB`;
  return `${bytes} bytes`;
}
