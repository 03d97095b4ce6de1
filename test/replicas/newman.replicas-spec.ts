import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * The RealWorld Postman collection (scripts/run-newman.mjs, the built server) against the primary
 * and replica of the `replicas` project's global setup: the same run as `npm run test:newman`,
 * with DATABASE_REPLICA_URLS set.
 */

jest.setTimeout(300_000);

const ROOT = path.resolve(__dirname, '..', '..');

it('passes the Postman collection with reads on a streaming replica', async () => {
  expect(process.env.DATABASE_REPLICA_URLS).toMatch(/^postgresql:\/\//);
  const summaryFile = path.join(mkdtempSync(path.join(tmpdir(), 'conduit-newman-')), 'summary.json');
  const child = spawn(process.execPath, [path.join(ROOT, 'scripts', 'run-newman.mjs')], {
    cwd: ROOT,
    env: { ...process.env, NEWMAN_SUMMARY_JSON: summaryFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  if (code !== 0) throw new Error(`run-newman.mjs exited with ${code}:\n${output}`);
  const summary = JSON.parse(readFileSync(summaryFile, 'utf8')) as { assertions: { total: number; failed: number }; requests: { total: number; failed: number } };
  expect(summary.assertions.total).toBeGreaterThan(0);
  expect(summary.assertions.failed).toBe(0);
  expect(summary.requests.failed).toBe(0);
  console.log(/run-newman: \d+ of \d+ assertions passed.*/.exec(output)?.[0]);
});
