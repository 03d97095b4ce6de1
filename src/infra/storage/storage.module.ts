import { Global, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Environment } from '@/config/environment';
import { LocalObjectStorage } from './local-object-storage';
import { ObjectStorage } from './object-storage';

/**
 * The adapter STORAGE_DRIVER names. The S3 adapter (and the AWS SDK behind it) is imported only
 * when chosen, so a local set-up does not pay for loading the SDK at start-up.
 */
export async function createObjectStorage(config: ConfigService<Environment, true>): Promise<ObjectStorage> {
  if (config.get('STORAGE_DRIVER', { infer: true }) === 's3') {
    const { S3ObjectStorage } = await import('./s3-object-storage.js');
    return new S3ObjectStorage({
      bucket: config.get<string>('STORAGE_S3_BUCKET'),
      region: config.get('STORAGE_S3_REGION', { infer: true }),
      endpoint: config.get('STORAGE_S3_ENDPOINT', { infer: true }),
      forcePathStyle: config.get('STORAGE_S3_FORCE_PATH_STYLE', { infer: true }),
    });
  }
  return new LocalObjectStorage(config.get('STORAGE_LOCAL_DIR', { infer: true }));
}

/** The object storage chosen by STORAGE_DRIVER, for every process. */
@Global()
@Module({
  providers: [
    {
      provide: ObjectStorage,
      inject: [ConfigService],
      useFactory: createObjectStorage,
    },
  ],
  exports: [ObjectStorage],
})
export class StorageModule {}
