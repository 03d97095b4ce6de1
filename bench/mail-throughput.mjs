#!/usr/bin/env node
// `npm run bench:mail`: how many mail jobs a worker process (dist/src/worker.js) sustains against a
// local SMTP server, and how long a mail takes from the write that causes it to its delivery.
//
// The writes are outbox events inserted straight into PostgreSQL (a `welcome` mail job per user,
// as registration writes it), not registrations through the api: a registration spends ~18 ms on
// argon2, which would measure the api, not the worker. Everything else is real: the relay claims
// the events, BullMQ on a throwaway redis-server carries the jobs, the mail job handler reads the
// user, checks and records the delivery, and sends through nodemailer's SMTP pool to an
// `smtp-server` in this process, which stamps each message's arrival.
//
// Two phases:
//   burst  N events committed at once; jobs/s = N / (last delivery - commit).
//   paced  events written one by one at a steady rate below capacity (default: half the burst
//          rate) for some seconds; latency = arrival at the SMTP server - commit of the write.
//
//   BENCH_MAIL_DATABASE_URL  database (default postgresql://postgres@127.0.0.1:5432/conduit_mail_bench);
//                            created and migrated when missing, emptied on every run
//   BENCH_MAIL_JOBS          burst size (default 3000)
//   BENCH_MAIL_RATE          paced writes per second (default: half the burst jobs/s)
//   BENCH_MAIL_SECONDS       paced duration (default 10)
//   BENCH_SMTP_DELAY_MS      answer each message this much later (default 0: a local server)
//   OUTBOX_POLL_MS, OUTBOX_REDISPATCH_SECONDS, JOB_ATTEMPTS, ...  passed on to the worker (the
//                            application's defaults otherwise; OUTBOX_POLL_MS bounds the latency)
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createUsers, freshBenchDatabase, sleep, startSmtpSink, startThrowawayRedis, startWorker, waitUntil } from './bench-setup.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const worker = path.join(root, 'dist/src/worker.js');
const databaseUrl = process.env.BENCH_MAIL_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/conduit_mail_bench';
const burstSize = Number(process.env.BENCH_MAIL_JOBS ?? 3000);
const pacedSeconds = Number(process.env.BENCH_MAIL_SECONDS ?? 10);
const smtpDelayMs = Number(process.env.BENCH_SMTP_DELAY_MS ?? 0);

const children = new Set();

const now = () => performance.timeOrigin + performance.now();
/** The sink's key of the welcome mail of `userId` (see startSmtpSink). */
const messageIdOf = (userId) => `welcome.${userId}`;

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function waitForArrivals(smtp, userIds, timeoutMs) {
  await waitUntil(`${userIds.length} mails`, timeoutMs, () => userIds.every((id) => smtp.arrivals.has(messageIdOf(id))));
}

async function main() {
  if (!existsSync(worker)) throw new Error('dist/src/worker.js is missing: run `npm run build` first');
  const pool = await freshBenchDatabase(databaseUrl, { variable: 'BENCH_MAIL_DATABASE_URL', tables: ['users', 'outbox_events', 'mail_deliveries'], max: 8 });
  const [redisUrl, smtp] = await Promise.all([startThrowawayRedis(children), startSmtpSink({ delayMs: smtpDelayMs })]);
  const workerEnv = {
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    MAIL_URL: smtp.url,
    JWT_SECRET: process.env.JWT_SECRET ?? 'bench-secret-bench-secret-bench-secret',
    NODE_ENV: 'production',
  };
  const pollMs = process.env.OUTBOX_POLL_MS ?? '500 (default)';
  const { output } = await startWorker(workerEnv, children);
  try {
    // Warm-up: connections, prepared plans, the SMTP pool.
    await createUsers(pool, 1, 50);
    const warmIds = Array.from({ length: 50 }, (_, index) => index + 1);
    await pool.query(`INSERT INTO outbox_events (queue, name, payload) SELECT 'mail', 'welcome', jsonb_build_object('userId', i) FROM unnest($1::int[]) AS i`, [warmIds]);
    await waitForArrivals(smtp, warmIds, 30_000);

    // Burst: N events in one commit.
    const burstIds = Array.from({ length: burstSize }, (_, index) => index + 1001);
    await createUsers(pool, burstIds[0], burstIds[burstIds.length - 1]);
    await pool.query(`INSERT INTO outbox_events (queue, name, payload) SELECT 'mail', 'welcome', jsonb_build_object('userId', i) FROM unnest($1::int[]) AS i`, [burstIds]);
    const committedAt = now();
    await waitForArrivals(smtp, burstIds, 300_000);
    const burstTimes = burstIds.map((id) => smtp.arrivals.get(messageIdOf(id))).sort((a, b) => a - b);
    const burstSeconds = (burstTimes[burstTimes.length - 1] - committedAt) / 1000;
    const burstRate = burstSize / burstSeconds;
    // The middle 80 % of the deliveries, free of the start (relay's first pass) and the tail.
    const steadyRate = (0.8 * burstSize) / ((percentile(burstTimes, 90) - percentile(burstTimes, 10)) / 1000);

    // Paced: one write at a time at a steady rate, each committed on its own.
    const rate = Number(process.env.BENCH_MAIL_RATE ?? Math.max(1, Math.floor(burstRate / 2)));
    const pacedCount = Math.max(1, Math.round(rate * pacedSeconds));
    const firstPaced = burstIds[burstIds.length - 1] + 1001;
    await createUsers(pool, firstPaced, firstPaced + pacedCount - 1);
    const writtenAt = new Map();
    const start = now();
    const writes = [];
    for (let index = 0; index < pacedCount; index += 1) {
      const due = start + (index * 1000) / rate;
      const wait = due - now();
      if (wait > 1) await sleep(wait);
      const userId = firstPaced + index;
      writes.push(
        pool
          .query(`INSERT INTO outbox_events (queue, name, payload) VALUES ('mail', 'welcome', jsonb_build_object('userId', $1::int))`, [userId])
          .then(() => writtenAt.set(userId, now())),
      );
    }
    await Promise.all(writes);
    const pacedIds = [...writtenAt.keys()];
    await waitForArrivals(smtp, pacedIds, 120_000);
    const latencies = pacedIds.map((id) => smtp.arrivals.get(messageIdOf(id)) - writtenAt.get(id)).sort((a, b) => a - b);
    // The mail queue's runtime completes the event just after the SMTP server answered.
    const pending = async () => (await pool.query('SELECT count(*)::int AS n FROM outbox_events WHERE completed_at IS NULL')).rows[0].n;
    await waitUntil('every event to be completed', 5_000, async () => (await pending()) === 0).catch(() => undefined);
    const failed = { rows: [{ n: await pending() }] };

    const ms = (value) => `${value.toFixed(0)} ms`;
    console.log(`\nmail worker benchmark: 1 worker process (mail concurrency 8, SMTP pool of 5), OUTBOX_POLL_MS=${pollMs}, SMTP answer delay ${smtpDelayMs} ms`);
    console.table([
      {
        phase: 'burst',
        mails: burstSize,
        'jobs/s (overall)': Math.round(burstRate),
        'jobs/s (steady, p10-p90)': Math.round(steadyRate),
        'write→delivered p50': ms(percentile(burstTimes, 50) - committedAt),
        'write→delivered p99': ms(percentile(burstTimes, 99) - committedAt),
      },
      {
        phase: `paced ${rate}/s for ${pacedSeconds} s`,
        mails: pacedCount,
        'jobs/s (overall)': Math.round(pacedCount / ((Math.max(...pacedIds.map((id) => smtp.arrivals.get(messageIdOf(id)))) - start) / 1000)),
        'jobs/s (steady, p10-p90)': '',
        'write→delivered p50': ms(percentile(latencies, 50)),
        'write→delivered p99': ms(percentile(latencies, 99)),
      },
    ]);
    console.log(`duplicates: ${smtp.duplicates()}, events not completed: ${failed.rows[0].n}`);
    if (smtp.duplicates() > 0 || failed.rows[0].n > 0) process.exitCode = 1;
  } catch (error) {
    console.error(output());
    throw error;
  } finally {
    for (const child of children) child.kill('SIGKILL');
    await smtp.close();
    await pool.end();
  }
}

main().catch((error) => {
  for (const child of children) child.kill('SIGKILL');
  console.error(error);
  process.exit(1);
});
