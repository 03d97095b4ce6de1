import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import request from 'supertest';
import { ApiProcess, startApi, startThrowawayRedis, stopAll } from '../helpers/child-processes';
import { Account, ConduitClient, TestDatabase } from '../helpers/worker';

/**
 * Uploads do not pile up in the api's memory: forty concurrent 9.9 MB uploads by one user once
 * took an api process from 342 to 842 MB. Now a user has at most UPLOADS_CONCURRENT_PER_USER
 * uploads in flight (more are answered 429 with Retry-After, their bodies discarded unread, every
 * client getting its answer rather than a broken pipe), and the bodies are streamed to temporary
 * files rather than held in memory. The suite reports the api's
 * resident memory before and at its peak during the flood.
 */

jest.setTimeout(180_000);

const UPLOADS = 40;
const FILE_BYTES = Math.round(9.9 * 1024 * 1024);
/**
 * Growth allowed during the flood: two files in flight, their inspection, the chunks of the refused
 * bodies read and discarded (they arrive faster than the collector frees them: about 100 MB here,
 * as the refusals wait for the end of each body so that the client gets its 429), and the usual
 * noise. Holding the bodies, as before the fix, took 500 MB.
 */
const GROWTH_LIMIT_MB = 160;

function residentMegabytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kilobytes = Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1]);
  if (!Number.isFinite(kilobytes)) throw new Error(`no VmRSS for process ${pid}`);
  return kilobytes / 1024;
}

describe('Uploads held in memory', () => {
  const database = new TestDatabase();
  let api: ApiProcess;
  let client: ConduitClient;
  let user: Account;

  beforeAll(async () => {
    await database.truncateAll();
    const redis = await startThrowawayRedis();
    api = await startApi({ REDIS_URL: redis.url, UPLOADS_PER_HOUR: '1000' });
    client = new ConduitClient(api.url);
    user = await client.register('uploader');
  });

  afterAll(async () => {
    await stopAll();
    await database.close();
  });

  const upload = (body: Buffer, filename: string) =>
    request(api.url)
      .post('/api/uploads/images')
      .set('Authorization', `Token ${user.token}`)
      .field('purpose', 'avatar')
      .attach('file', body, { filename, contentType: 'image/jpeg' });

  it(`keeps the api's memory bounded under ${UPLOADS} concurrent 9.9 MB uploads from one user, refusing the excess with 429`, async () => {
    // One real upload first, so that sharp and the upload path are loaded before the baseline.
    const warmUp = await upload(await sharp({ create: { width: 64, height: 64, channels: 3, background: '#336699' } }).jpeg().toBuffer(), 'warm.jpg');
    expect(warmUp.status).toBe(202);

    // JPEG magic followed by noise: as large as the limit allows, refused once inspected.
    const big = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(FILE_BYTES - 4)]);
    const before = residentMegabytes(api.child.pid!);
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, residentMegabytes(api.child.pid!))), 25);
    let responses: request.Response[];
    try {
      responses = await Promise.all(Array.from({ length: UPLOADS }, (_, index) => upload(big, `big-${index}.jpg`)));
    } finally {
      clearInterval(sampler);
    }
    process.stdout.write(`api RSS before the upload flood: ${before.toFixed(0)} MB, peak during it: ${peak.toFixed(0)} MB (${UPLOADS} x 9.9 MB from one user)\n`);

    const limited = responses.filter((response) => response.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(UPLOADS / 2);
    for (const response of limited) {
      expect(response.body).toEqual({ errors: { upload: [expect.stringMatching(/at a time/)] } });
      expect(Number(response.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    }
    // The others were read and refused for what they are (not an image), never a 5xx.
    for (const response of responses.filter((candidate) => candidate.status !== 429)) expect([413, 415, 422]).toContain(response.status);
    expect(peak - before).toBeLessThan(GROWTH_LIMIT_MB);

    // Once the flood is over, the user uploads again.
    const after = await upload(await sharp({ create: { width: 32, height: 32, channels: 3, background: '#993366' } }).jpeg().toBuffer(), 'after.jpg');
    expect(after.status).toBe(202);
  });
});
