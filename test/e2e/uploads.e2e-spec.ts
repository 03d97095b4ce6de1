import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import type { Queue } from 'bullmq';
import sharp from 'sharp';
import request from 'supertest';
import { ApiProcess } from '../helpers/child-processes';
import {
  Account,
  BackgroundStack,
  ConduitClient,
  startBackgroundStack,
  startWorker,
  TestDatabase,
  waitFor,
  WorkerProcess,
} from '../helpers/worker';

/**
 * Image uploads end to end, with real processes: the api stores the original and answers 202, the
 * worker (dist/src/worker.js) decodes it with sharp and writes the variants to the local storage
 * folder, served by the api under /media/. Every image is made here with sharp. Limits for the
 * suite: 3 MB per file, 5 uploads per user per hour, 5 MB of storage per user.
 */

jest.setTimeout(120_000);

const MAX_BYTES = 3 * 1024 * 1024;

interface UploadBody {
  id: string;
  purpose: string;
  status: 'pending' | 'ready' | 'failed';
  reason?: string;
  variants?: Array<{ name: string; format: string; width: number; height: number; url: string }>;
}

const solid = (width: number, height: number, background = '#3366cc'): sharp.Sharp =>
  sharp({ create: { width, height, channels: 3, background } });

/** Random pixels: they do not compress, so the file is about width x height x 3 bytes. */
function noise(width: number, height: number): sharp.Sharp {
  return sharp(randomBytes(width * height * 3), { raw: { width, height, channels: 3 } });
}

/** A valid 16x16 PNG whose header claims `width` x `height`: a decompression bomb's calling card. */
async function pngDeclaring(width: number, height: number): Promise<Buffer> {
  const png = await solid(16, 16).png().toBuffer();
  // IHDR data starts at byte 16 (8 signature + 4 length + 4 type); its CRC covers type and data.
  png.writeUInt32BE(width, 16);
  png.writeUInt32BE(height, 20);
  png.writeUInt32BE(crc32(png.subarray(12, 29)), 29);
  return png;
}

describe('Image uploads: processing in the worker, hostile files, avatars and covers', () => {
  const database = new TestDatabase();
  let stack: BackgroundStack;
  const storageDir = mkdtempSync(path.join(tmpdir(), 'conduit-uploads-'));
  let env: Record<string, string>;
  let api: ApiProcess;
  let worker: WorkerProcess;
  let client: ConduitClient;
  let mediaQueue: Queue;
  let scheduledQueue: Queue;

  const files = (area: 'originals' | 'media'): string[] => {
    try {
      return readdirSync(path.join(storageDir, area)).sort();
    } catch {
      return [];
    }
  };

  function upload(user: Account, data: Buffer, filename: string, purpose = 'avatar', options: { filepath?: string } = {}): request.Test {
    return client
      .call('post', '/api/uploads/images', user)
      .field('purpose', purpose)
      .attach('file', data, { filename, contentType: 'image/png', ...options });
  }

  async function uploaded(user: Account, data: Buffer, filename: string, purpose = 'avatar'): Promise<UploadBody> {
    const response = await upload(user, data, filename, purpose);
    expect({ status: response.status, body: response.body as unknown }).toMatchObject({ status: 202, body: { upload: { status: 'pending' } } });
    return (response.body as { upload: UploadBody }).upload;
  }

  async function finished(user: Account, id: string): Promise<UploadBody> {
    return waitFor(
      `upload ${id} to be processed`,
      async () => {
        const response = await client.call('get', `/api/uploads/${id}`, user);
        const body = (response.body as { upload: UploadBody }).upload;
        return body.status !== 'pending' && body;
      },
      { timeoutMs: 60_000, intervalMs: 200, details: () => worker.output().slice(-2_000) },
    );
  }

  /** The variant's bytes as the api serves them, with its headers. */
  async function fetchVariant(url: string): Promise<request.Response> {
    return request(api.url).get(new URL(url, api.url).pathname).buffer(true).parse((response, done) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => done(null, Buffer.concat(chunks)));
    });
  }

  beforeAll(async () => {
    stack = await startBackgroundStack(database, {
      queues: ['media', 'scheduled'],
      env: {
        STORAGE_DRIVER: 'local',
        STORAGE_LOCAL_DIR: storageDir,
        MEDIA_PUBLIC_URL: '/media',
        UPLOAD_MAX_BYTES: String(MAX_BYTES),
        UPLOADS_PER_HOUR: '5',
        // Five formats are uploaded at once below (the cap itself: abuse-upload-memory.e2e-spec.ts).
        UPLOADS_CONCURRENT_PER_USER: '5',
        UPLOAD_QUOTA_BYTES: String(5 * 1024 * 1024),
        // Unused uploads are collected as soon as the garbage collector runs (the test starts it).
        UPLOAD_UNUSED_TTL_HOURS: '0',
      },
    });
    ({ env, api, client } = stack);
    worker = stack.worker!;
    [mediaQueue, scheduledQueue] = stack.queues;
  });

  afterAll(async () => {
    await stack?.close();
    rmSync(storageDir, { recursive: true, force: true });
  });

  it('turns JPEG, PNG, WebP, AVIF and GIF into 256 and 128 px avatars, as WebP and JPEG, served with long-lived caching', async () => {
    const user = await client.register('formats');
    const sources = {
      jpeg: await solid(640, 480).jpeg().toBuffer(),
      png: await solid(500, 300, '#ff8800').png().toBuffer(),
      webp: await solid(300, 500, '#00aa44').webp().toBuffer(),
      avif: await solid(400, 400, '#aa0044').avif().toBuffer(),
      gif: await solid(200, 120, '#112233').gif().toBuffer(),
    };
    const started = await Promise.all(Object.entries(sources).map(([format, data]) => uploaded(user, data, `photo.${format}`)));
    for (const pending of started) {
      const done = await finished(user, pending.id);
      expect(done.status).toBe('ready');
      expect(done.variants!.map((variant) => `${variant.name} ${variant.format} ${variant.width}x${variant.height}`).sort()).toEqual([
        'avatar-128 jpeg 128x128',
        'avatar-128 webp 128x128',
        'avatar-256 jpeg 256x256',
        'avatar-256 webp 256x256',
      ]);
      for (const variant of done.variants!) {
        // Named by content hash, never after the uploaded file.
        expect(variant.url).toMatch(/^\/media\/[a-f0-9]{40}\.(webp|jpg)$/);
        const served = await fetchVariant(variant.url);
        expect(served.status).toBe(200);
        expect(served.headers['content-type']).toBe(variant.format === 'webp' ? 'image/webp' : 'image/jpeg');
        expect(served.headers['cache-control']).toBe('public, max-age=31536000, immutable');
        expect(served.headers['x-content-type-options']).toBe('nosniff');
        const metadata = await sharp(served.body as Buffer).metadata();
        expect({ format: metadata.format, width: metadata.width, height: metadata.height }).toEqual({
          format: variant.format,
          width: variant.width,
          height: variant.height,
        });
      }
    }
    expect(files('media').join(' ')).not.toMatch(/photo/);
  });

  it('makes covers of 1200 px and a 400 px thumbnail, turned upright, with EXIF and GPS gone', async () => {
    const user = await client.register('cover');
    // 1600x1000 pixels stored sideways: EXIF orientation 6 means "rotate 90 degrees to view".
    const photo = await solid(1600, 1000)
      .jpeg()
      .withExif({ IFD0: { Copyright: 'secret-owner', Make: 'SpyCam' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '51/1 30/1 0/1' } })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    expect((await sharp(photo).metadata()).exif?.toString('latin1')).toContain('secret-owner');
    const done = await finished(user, (await uploaded(user, photo, 'holiday.jpg', 'cover')).id);
    expect(done.status).toBe('ready');
    const sizes = Object.fromEntries(done.variants!.map((variant) => [`${variant.name} ${variant.format}`, `${variant.width}x${variant.height}`]));
    expect(sizes).toEqual({
      'cover-1200 webp': '1000x1600',
      'cover-1200 jpeg': '1000x1600',
      'cover-400 webp': '400x640',
      'cover-400 jpeg': '400x640',
    });
    for (const variant of done.variants!) {
      const bytes = (await fetchVariant(variant.url)).body as Buffer;
      const metadata = await sharp(bytes).metadata();
      expect(metadata.exif).toBeUndefined();
      expect(metadata.orientation).toBeUndefined();
      expect(bytes.toString('latin1')).not.toMatch(/secret-owner|SpyCam/);
    }
  });

  describe('hostile and broken files are refused with a 4xx, leaving nothing behind', () => {
    let user: Account;
    let before: { originals: string[]; media: string[] };

    beforeAll(async () => {
      user = await client.register('hostile');
    });

    beforeEach(() => {
      before = { originals: files('originals'), media: files('media') };
    });

    afterEach(async () => {
      expect({ originals: files('originals'), media: files('media') }).toEqual(before);
      const { rows } = await database.pool.query<{ count: number }>('SELECT count(*)::int AS count FROM uploads WHERE owner_id = $1', [user.id]);
      expect(rows[0].count).toBe(0);
    });

    it('a decompression bomb: a small file declaring 50000x50000 pixels (422)', async () => {
      const bomb = await pngDeclaring(50_000, 50_000);
      expect(bomb.length).toBeLessThan(1_000);
      const response = await upload(user, bomb, 'bomb.png');
      expect(response.status).toBe(422);
      expect(response.body).toEqual({ errors: { file: ['is 50000x50000 pixels; the longest side may be 12000'] } });
      const wide = await upload(user, await pngDeclaring(10_000, 10_000), 'wide.png');
      expect(wide.status).toBe(422);
      expect(wide.body.errors.file[0]).toMatch(/at most 50000000 pixels/);
    });

    it('a truncated JPEG (422)', async () => {
      const jpeg = await noise(400, 300).jpeg().toBuffer();
      const response = await upload(user, jpeg.subarray(0, Math.floor(jpeg.length / 2)), 'cut.jpg');
      expect(response.status).toBe(422);
      expect(response.body).toEqual({ errors: { file: ['is truncated or corrupt'] } });
    });

    it('an SVG and an HTML page named .png (415)', async () => {
      const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
      const html = Buffer.from('<!doctype html><html><body><script>alert(document.cookie)</script></body></html>');
      for (const [data, name] of [[svg, 'logo.png'], [html, 'page.png']] as const) {
        const response = await upload(user, data, name);
        expect(response.status).toBe(415);
        expect(response.body).toEqual({ errors: { file: ['must be a JPEG, PNG, WebP, AVIF or GIF image'] } });
      }
    });

    it('a zero-byte file (422) and no file at all (422)', async () => {
      const empty = await upload(user, Buffer.alloc(0), 'empty.png');
      expect(empty.status).toBe(422);
      expect(empty.body).toEqual({ errors: { file: ['is empty'] } });
      const none = await client.call('post', '/api/uploads/images', user).field('purpose', 'avatar');
      expect(none.status).toBe(422);
      expect(none.body).toEqual({ errors: { file: ["can't be blank"] } });
    });

    it('a file over the size limit (413), cut off while streaming', async () => {
      const large = Buffer.concat([await solid(10, 10).jpeg().toBuffer(), Buffer.alloc(MAX_BYTES + 1)]);
      const response = await upload(user, large, 'large.jpg');
      expect(response.status).toBe(413);
      expect(response.body).toEqual({ errors: { file: ['is too large (maximum is 3 MB)'] } });
    });

    it('a file name climbing directories (422)', async () => {
      const png = await solid(20, 20).png().toBuffer();
      const response = await upload(user, png, 'x.png', 'avatar', { filepath: '../../etc/evil.png' });
      expect(response.status).toBe(422);
      expect(response.body).toEqual({ errors: { filename: ['must not contain a path'] } });
    });

    it('a body that is not multipart (415), an unknown purpose (422), no token (401)', async () => {
      const json = await client.call('post', '/api/uploads/images', user).send({ file: 'x' });
      expect(json.status).toBe(415);
      const purpose = await upload(user, await solid(20, 20).png().toBuffer(), 'a.png', 'banner');
      expect(purpose.status).toBe(422);
      expect(purpose.body).toEqual({ errors: { purpose: ['must be one of: avatar, cover'] } });
      const anonymous = await request(api.url).post('/api/uploads/images').attach('file', Buffer.from('x'), 'a.png');
      expect(anonymous.status).toBe(401);
    });
  });

  it('answers 429 with Retry-After beyond the hourly limit, and 413 beyond the storage quota', async () => {
    const busy = await client.register('busy');
    const small = await solid(32, 32).png().toBuffer();
    for (let index = 0; index < 5; index += 1) await uploaded(busy, small, `small${index}.png`);
    const refused = await upload(busy, small, 'one-more.png');
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual({ errors: { upload: ['limit of 5 images per hour reached'] } });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(3_000);

    const hoarder = await client.register('hoarder');
    const big = await noise(1000, 800).png().toBuffer(); // about 2.4 MB
    await uploaded(hoarder, big, 'a.png');
    await uploaded(hoarder, big, 'b.png');
    const overQuota = await upload(hoarder, big, 'c.png');
    expect(overQuota.status).toBe(413);
    expect(overQuota.body.errors.storage[0]).toMatch(/^quota of 5 MB is used up/);
  });

  it("shows someone else's upload to nobody but its owner", async () => {
    const [owner, other] = await Promise.all([client.register('owner'), client.register('other')]);
    const mine = await uploaded(owner, await solid(40, 40).png().toBuffer(), 'me.png');
    expect((await client.call('get', `/api/uploads/${mine.id}`, other)).status).toBe(404);
    expect((await client.call('get', '/api/uploads/not-a-uuid', owner)).status).toBe(404);
    const borrowed = await client.call('put', '/api/user', other).send({ user: { image: mine.id } });
    expect(borrowed.status).toBe(422);
    expect(borrowed.body).toEqual({ errors: { image: ['upload not found'] } });
  });

  it('refuses a file the worker cannot decode: the upload fails with a reason and its original is deleted', async () => {
    const user = await client.register('corrupt');
    // A complete PNG structure whose compressed pixel data is garbage: only decoding finds out.
    const png = await noise(64, 64).png({ compressionLevel: 0 }).toBuffer();
    const idat = png.indexOf(Buffer.from('IDAT'));
    png.fill(0x41, idat + 10, idat + 200);
    const pending = await uploaded(user, png, 'garbage.png');
    const done = await finished(user, pending.id);
    expect(done).toMatchObject({ status: 'failed', reason: 'the image could not be decoded (corrupt or truncated file)' });
    expect(files('originals')).not.toContain(pending.id);
    const used = await client.call('put', '/api/user', user).send({ user: { image: pending.id } });
    expect(used.status).toBe(422);
    expect(used.body.errors.image[0]).toMatch(/^upload failed: the image could not be decoded/);
  });

  it('sets an uploaded avatar that shows in the profile, as article author and as commenter, through the cache', async () => {
    const [author, reader] = await Promise.all([client.register('avatar'), client.register('reader')]);
    const article = await client.createArticle(author);
    await client.comment(author, article.slug, 'First!');
    const reads = {
      profile: `/api/profiles/${author.username}`,
      list: `/api/articles?author=${author.username}`,
      article: `/api/articles/${article.slug}`,
      comments: `/api/articles/${article.slug}/comments`,
    };
    const images = async (): Promise<Record<string, unknown>> => {
      const [profile, list, single, comments] = await Promise.all(Object.values(reads).map((path) => client.call('get', path, reader)));
      return {
        profile: profile.body.profile.image,
        list: list.body.articles[0].author.image,
        article: single.body.article.author.image,
        comments: comments.body.comments[0].author.image,
      };
    };
    // Read twice so that every answer is in the cache before the change.
    await images();
    expect(await images()).toEqual({ profile: null, list: null, article: null, comments: null });

    const pending = await uploaded(author, await solid(300, 300, '#884422').png().toBuffer(), 'me.png');
    const early = await client.call('put', '/api/user', author).send({ user: { image: pending.id } });
    expect(early.status).toBe(422);
    expect(early.body).toEqual({ errors: { image: ['upload is still being processed; try again shortly'] } });
    const ready = await finished(author, pending.id);
    const avatar = ready.variants!.find((variant) => variant.name === 'avatar-256' && variant.format === 'webp')!.url;

    const updated = await client.updateUser(author, { image: pending.id });
    expect(updated.image).toBe(avatar);
    expect(await images()).toEqual({ profile: avatar, list: avatar, article: avatar, comments: avatar });

    // A URL given as before replaces it, as the spec says.
    await client.updateUser(author, { image: 'https://example.com/me.png' });
    expect((await images()).profile).toBe('https://example.com/me.png');
  });

  it('gives articles a cover from a cover upload, and leaves coverImage out when there is none', async () => {
    const author = await client.register('covered');
    const avatarUpload = await finished(author, (await uploaded(author, await solid(100, 100).png().toBuffer(), 'a.png')).id);
    const coverUpload = await finished(author, (await uploaded(author, await solid(2400, 1200).jpeg().toBuffer(), 'c.jpg', 'cover')).id);

    const wrongKind = await client.call('post', '/api/articles', author).send({
      article: { title: 'Wrong kind', description: 'd', body: 'b', coverImage: avatarUpload.id },
    });
    expect(wrongKind.status).toBe(422);
    expect(wrongKind.body).toEqual({ errors: { coverImage: ['upload is a avatar image, not a cover'] } });

    const plain = await client.createArticle(author);
    expect(plain).not.toHaveProperty('coverImage');
    const created = await client.call('post', '/api/articles', author).send({
      article: { title: 'With a cover', description: 'd', body: 'b', coverImage: coverUpload.id },
    });
    expect(created.status).toBe(201);
    const large = coverUpload.variants!.find((variant) => variant.name === 'cover-1200' && variant.format === 'webp')!;
    expect(created.body.article.coverImage).toEqual({
      url: large.url,
      fallbackUrl: coverUpload.variants!.find((variant) => variant.name === 'cover-1200' && variant.format === 'jpeg')!.url,
      thumbnailUrl: coverUpload.variants!.find((variant) => variant.name === 'cover-400' && variant.format === 'webp')!.url,
      thumbnailFallbackUrl: coverUpload.variants!.find((variant) => variant.name === 'cover-400' && variant.format === 'jpeg')!.url,
      width: 1200,
      height: 600,
    });
    const slug = created.body.article.slug as string;
    const listed = await client.call('get', `/api/articles?author=${author.username}`);
    expect(listed.body.articles.find((item: { slug: string }) => item.slug === slug).coverImage.url).toBe(large.url);

    const removed = await client.call('put', `/api/articles/${slug}`, author).send({ article: { coverImage: null } });
    expect(removed.status).toBe(200);
    expect(removed.body.article).not.toHaveProperty('coverImage');
    expect((await client.call('get', `/api/articles/${slug}`)).body.article).not.toHaveProperty('coverImage');
  });

  it('finishes one set of variants when the worker is killed while processing', async () => {
    const user = await client.register('killed');
    const mediaBefore = files('media');
    // Queued while no worker runs, and held (the queue paused) until the new worker is up, so that
    // it is killed as soon as it takes one: 12-megapixel PNGs (no shrink-on-load), a few hundred ms each.
    await worker.stop();
    const pending: UploadBody[] = [];
    for (const colour of ['#102030', '#405060', '#708090']) pending.push(await uploaded(user, await solid(4000, 3000, colour).png().toBuffer(), 'big.png', 'cover'));
    await mediaQueue.pause();
    worker = await startWorker(env);
    await mediaQueue.resume();
    await waitFor('a media job to be active', async () => (await mediaQueue.getActiveCount()) > 0, { intervalMs: 5, timeoutMs: 30_000 });
    await worker.kill();
    worker = await startWorker(env);
    const done = await Promise.all(pending.map((upload) => finished(user, upload.id)));
    const expected = done.flatMap((upload) => {
      expect(upload.status).toBe('ready');
      expect(upload.variants).toHaveLength(4);
      return upload.variants!.map((variant) => variant.url.replace('/media/', ''));
    });
    const written = files('media').filter((file) => !mediaBefore.includes(file) && !file.endsWith('.partial'));
    expect(written.sort()).toEqual([...new Set(expected)].sort());
    // The kill did land in the middle of a job: BullMQ finds it stalled once its lock expires and
    // runs it again (possibly after the outbox handed the event over anew and the upload is done).
    const rerunStalled = async (): Promise<boolean> =>
      (await mediaQueue.getJobs(['completed'])).some(
        (job) => job.stalledCounter > 0 && pending.some((upload) => upload.id === (job.data as { uploadId?: string }).uploadId),
      );
    await waitFor('the killed job to be found stalled and run again', rerunStalled, { intervalMs: 200, timeoutMs: 30_000 });
    expect(files('media').filter((file) => !mediaBefore.includes(file) && !file.endsWith('.partial')).sort()).toEqual([...new Set(expected)].sort());
  });

  it('deletes processed originals and the variants no user or article uses', async () => {
    const user = await client.register('collector');
    const [kept, dropped] = await Promise.all([
      uploaded(user, await solid(120, 120, '#010203').png().toBuffer(), 'kept.png'),
      uploaded(user, await solid(120, 120, '#040506').png().toBuffer(), 'dropped.png'),
    ]);
    const [keptDone, droppedDone] = [await finished(user, kept.id), await finished(user, dropped.id)];
    await client.updateUser(user, { image: kept.id });
    expect(files('originals')).toEqual(expect.arrayContaining([kept.id, dropped.id]));

    await scheduledQueue.add('media-gc', {}, { jobId: `media-gc-test-${Date.now()}` });
    const names = (upload: UploadBody): string[] => upload.variants!.map((variant) => variant.url.replace('/media/', ''));
    // The row goes first (in a transaction), its files just after: wait for both.
    await waitFor(
      'the garbage collector to delete the unused upload and its files',
      async () => (await client.call('get', `/api/uploads/${dropped.id}`, user)).status === 404 && !names(droppedDone).some((file) => files('media').includes(file)),
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    const media = files('media');
    expect(names(keptDone).filter((file) => !media.includes(file))).toEqual([]);
    expect(names(droppedDone).filter((file) => media.includes(file))).toEqual([]);
    expect(files('originals')).not.toContain(kept.id);
    expect(files('originals')).not.toContain(dropped.id);
    expect((await client.call('get', `/api/uploads/${kept.id}`, user)).body.upload.status).toBe('ready');
    expect((await fetchVariant(names(keptDone).map((file) => `/media/${file}`)[0])).status).toBe(200);
  });
});
