import { ConfigService } from '@nestjs/config';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { Environment, validateEnvironment } from '@/config/environment';
import { LocalObjectStorage } from '@/infra/storage/local-object-storage';
import { S3ObjectStorage } from '@/infra/storage/s3-object-storage';
import { createObjectStorage } from '@/infra/storage/storage.module';

/**
 * The S3-compatible storage adapter. No S3 server runs here: the live round trip runs only when
 * STORAGE_S3_TEST_BUCKET names a bucket the AWS_* credentials can write (with STORAGE_S3_ENDPOINT,
 * STORAGE_S3_REGION and STORAGE_S3_FORCE_PATH_STYLE as for the application, e.g. a MinIO).
 * Without it, the configuration and the failure path are still tested for real.
 */
const base = { DATABASE_URL: 'postgresql://localhost/x', JWT_SECRET: 'x'.repeat(32) };
const configOf = (raw: Record<string, string>): ConfigService<Environment, true> => new ConfigService<Environment, true>(validateEnvironment({ ...base, ...raw }));

describe('S3 storage adapter', () => {
  it('is chosen by STORAGE_DRIVER=s3, which needs a bucket; local disk otherwise', async () => {
    expect(() => validateEnvironment({ ...base, STORAGE_DRIVER: 's3' })).toThrow('STORAGE_S3_BUCKET is required');
    expect(() => validateEnvironment({ ...base, STORAGE_DRIVER: 'ftp' })).toThrow(/STORAGE_DRIVER/);
    const s3 = await createObjectStorage(configOf({ STORAGE_DRIVER: 's3', STORAGE_S3_BUCKET: 'media', STORAGE_S3_ENDPOINT: 'http://127.0.0.1:9' }));
    expect(s3).toBeInstanceOf(S3ObjectStorage);
    (s3 as S3ObjectStorage).destroy();
    expect(await createObjectStorage(configOf({}))).toBeInstanceOf(LocalObjectStorage);
  });

  it('fails a write loudly when the server cannot be reached, so the upload is not recorded', async () => {
    // A port that was free a moment ago: nothing listens there.
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const address = server.address() as { port: number };
        server.close(() => resolve(address.port));
      });
    });
    const storage = new S3ObjectStorage({ bucket: 'media', region: 'us-east-1', endpoint: `http://127.0.0.1:${port}`, forcePathStyle: true });
    process.env.AWS_ACCESS_KEY_ID ??= 'test-only';
    process.env.AWS_SECRET_ACCESS_KEY ??= 'test-only';
    await expect(storage.put('originals', 'abc', Buffer.from('x'), 'image/png')).rejects.toThrow(/ECONNREFUSED|connect/);
    await expect(storage.put('media', '../escape', Buffer.from('x'), 'image/png')).rejects.toThrow('unsafe storage object name');
    storage.destroy();
  });

  const liveBucket = process.env.STORAGE_S3_TEST_BUCKET;
  if (liveBucket) {
    it(`puts, reads, checks and deletes objects in ${liveBucket}`, async () => {
      const storage = (await createObjectStorage(configOf({ ...(process.env as Record<string, string>), STORAGE_DRIVER: 's3', STORAGE_S3_BUCKET: liveBucket }))) as S3ObjectStorage;
      const name = `${randomBytes(20).toString('hex')}.webp`;
      const body = randomBytes(1024);
      await storage.put('media', name, body, 'image/webp');
      expect(await storage.exists('media', name)).toBe(true);
      expect((await storage.read('media', name)).equals(body)).toBe(true);
      await storage.delete('media', name);
      expect(await storage.exists('media', name)).toBe(false);
      await storage.delete('media', name);
      storage.destroy();
    });
  }
});
