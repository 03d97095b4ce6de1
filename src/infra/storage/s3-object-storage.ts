import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { assertSafeName, ObjectStorage, StorageArea } from './object-storage';

export interface S3StorageOptions {
  bucket: string;
  region: string;
  /** An S3-compatible endpoint (MinIO, R2, ...); unset for AWS. */
  endpoint?: string;
  forcePathStyle: boolean;
}

/** A year: variant names are content hashes, so a name always means the same bytes. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * Objects in one bucket, under `originals/` and `media/`. Credentials come from the SDK's default
 * chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, a profile, an instance role). This module is
 * loaded only when STORAGE_DRIVER=s3 (see storage.module.ts), so the SDK costs nothing otherwise.
 * A PutObject is atomic: readers never see a partial object.
 */
export class S3ObjectStorage extends ObjectStorage {
  private readonly client: S3Client;

  constructor(private readonly options: S3StorageOptions) {
    super();
    this.client = new S3Client({
      region: options.region,
      ...(options.endpoint && { endpoint: options.endpoint }),
      forcePathStyle: options.forcePathStyle,
      maxAttempts: 3,
    });
  }

  async put(area: StorageArea, name: string, body: Buffer, contentType: string): Promise<void> {
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.options.bucket,
        Key: this.keyOf(area, name),
        Body: body,
        ContentType: contentType,
        ...(area === 'media' && { CacheControl: IMMUTABLE }),
      }),
    );
  }

  async read(area: StorageArea, name: string): Promise<Buffer> {
    const response = await this.client.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: this.keyOf(area, name) }));
    if (!response.Body) throw new Error(`empty object ${this.keyOf(area, name)}`);
    return Buffer.from(await response.Body.transformToByteArray());
  }

  async delete(area: StorageArea, name: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: this.keyOf(area, name) }));
  }

  async exists(area: StorageArea, name: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.options.bucket, Key: this.keyOf(area, name) }));
      return true;
    } catch (error) {
      if (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 404) return false;
      throw error;
    }
  }

  destroy(): void {
    this.client.destroy();
  }

  private keyOf(area: StorageArea, name: string): string {
    assertSafeName(name);
    return `${area}/${name}`;
  }
}
