#!/usr/bin/env node
// `npm run bench:media`: how long the worker (dist/src/worker.js) takes to process a 12-megapixel
// JPEG into its variants, and how much memory the worker process needs while doing it.
//
// The uploads are written straight to PostgreSQL and the storage folder, as the api writes them
// (an `uploads` row, the original under originals/, a `media` outbox event); the api's own part
// (parsing and checking a 12 MP upload) is not what is measured. Everything else is real: the
// relay hands the events to BullMQ on a throwaway redis-server, the media job handler reads the
// original, decodes it under the configured limits, writes WebP and JPEG variants and records them.
//
// Processing time is the handler's own measure per image (read to recorded, as it logs it),
// at its normal concurrency (2 images at once). Memory is the worker's resident set size, sampled
// every 10 ms from /proc, and the kernel's high-water mark (VmHWM) at the end.
//
//   BENCH_MEDIA_DATABASE_URL  database (default postgresql://postgres@127.0.0.1:5432/conduit_media_bench);
//                             created and migrated when missing, emptied on every run
//   BENCH_MEDIA_IMAGES        images per purpose (default 40)
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freshBenchDatabase, sleep, startThrowawayRedis, twelveMegapixelJpeg, waitUntil } from './bench-setup.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const worker = path.join(root, 'dist/src/worker.js');
const databaseUrl = process.env.BENCH_MEDIA_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/conduit_media_bench';
const imagesPerPurpose = Number(process.env.BENCH_MEDIA_IMAGES ?? 40);

const children = new Set();

function memoryOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { rss: field('VmRSS'), peak: field('VmHWM') };
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

async function main() {
  const storageDir = mkdtempSync(path.join(tmpdir(), 'conduit-media-bench-'));
  const pool = await freshBenchDatabase(databaseUrl, { variable: 'BENCH_MEDIA_DATABASE_URL', tables: ['users', 'uploads', 'outbox_events'], max: 4 });
  const redisUrl = await startThrowawayRedis(children);
  const photo = await twelveMegapixelJpeg();
  console.log(`source: 4000x3000 JPEG, ${(photo.length / 1024 / 1024).toFixed(1)} MB; ${imagesPerPurpose} images per purpose`);

  const env = {
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    JWT_SECRET: process.env.JWT_SECRET ?? 'bench-only-secret-0123456789-0123456789',
    STORAGE_DRIVER: 'local',
    STORAGE_LOCAL_DIR: storageDir,
    OUTBOX_POLL_MS: '50',
    LOG_LEVEL: 'info',
    NO_COLOR: '1',
  };
  const child = spawn(process.execPath, [worker], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  try {
    await waitUntil('the worker to start', 30_000, () => {
      if (child.exitCode !== null) throw new Error(`the worker exited:\n${output}`);
      return output.includes('Conduit worker started');
    });
    await sleep(1_000);
    const idle = memoryOf(child.pid);

    const { rows } = await pool.query(
      `INSERT INTO users (email, username, password_hash, updated_at) VALUES ('bench@example.test', 'bench', 'x', now()) RETURNING id`,
    );
    const ownerId = rows[0].id;
    const results = [];
    for (const purpose of ['cover', 'avatar']) {
      const ids = Array.from({ length: imagesPerPurpose }, () => randomUUID());
      mkdirSync(path.join(storageDir, 'originals'), { recursive: true });
      for (const id of ids) writeFileSync(path.join(storageDir, 'originals', id), photo);
      const logStart = output.length;
      let peakRss = 0;
      const sampler = setInterval(() => {
        try {
          peakRss = Math.max(peakRss, memoryOf(child.pid).rss);
        } catch {
          // the worker exited; the wait below reports it
        }
      }, 10);
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        for (const id of ids) {
          await client.query(
            `INSERT INTO uploads (id, owner_id, purpose, mime_type, original_key, original_bytes, stored_bytes)
             VALUES ($1::uuid, $2, $3::upload_purpose, 'image/jpeg', $1::text, $4::int, $4::bigint)`,
            [id, ownerId, purpose, photo.length],
          );
          await client.query(`INSERT INTO outbox_events (queue, name, payload) VALUES ('media', 'process-upload', $1)`, [JSON.stringify({ uploadId: id })]);
        }
        await client.query('COMMIT');
      } finally {
        client.release();
      }
      const started = performance.now();
      await waitUntil(`${purpose} uploads to be processed`, 30 * 60_000, async () => {
        const done = await pool.query(`SELECT count(*)::int AS n FROM uploads WHERE id = ANY($1::uuid[]) AND status <> 'pending'`, [ids]);
        return done.rows[0].n === ids.length;
      });
      const wall = performance.now() - started;
      clearInterval(sampler);
      const failed = await pool.query(`SELECT count(*)::int AS n FROM uploads WHERE id = ANY($1::uuid[]) AND status = 'failed'`, [ids]);
      const times = [...output.slice(logStart).matchAll(/processed in (\d+) ms/g)].map((match) => Number(match[1])).sort((a, b) => a - b);
      results.push({
        purpose,
        images: ids.length,
        failed: failed.rows[0].n,
        'p50 ms': percentile(times, 50),
        'p99 ms': percentile(times, 99),
        'max ms': times[times.length - 1],
        'images/s': +(ids.length / (wall / 1000)).toFixed(2),
        'peak RSS': mb(peakRss),
      });
      if (failed.rows[0].n > 0) process.exitCode = 1;
    }
    const end = memoryOf(child.pid);
    console.table(results);
    console.log(`worker RSS idle: ${mb(idle.rss)}; high-water mark over the run (VmHWM): ${mb(end.peak)}; cpus: ${(await import('node:os')).cpus().length}`);
  } catch (error) {
    console.error(output.slice(-4_000));
    throw error;
  } finally {
    for (const running of children) running.kill('SIGKILL');
    await pool.end();
    rmSync(storageDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  for (const child of children) child.kill('SIGKILL');
  console.error(error);
  process.exit(1);
});
