import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { TRIGGERED_JOBS } from './triggered-jobs';

const MIGRATIONS = path.resolve(__dirname, '../../../prisma/migrations');

/** Every `INSERT INTO outbox_events` of every migration, with the queue and job name it writes. */
function outboxInserts(): Array<{ migration: string; statement: string; queue?: string; name?: string }> {
  const found: Array<{ migration: string; statement: string; queue?: string; name?: string }> = [];
  for (const migration of readdirSync(MIGRATIONS, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name)) {
    const sql = readFileSync(path.join(MIGRATIONS, migration, 'migration.sql'), 'utf8');
    for (const match of sql.matchAll(/INSERT\s+INTO\s+"?outbox_events"?[^;]*/gi)) {
      const statement = match[0];
      // The shape the triggers use: the columns ("queue", "name", ...) then literals in that order.
      const read = /^INSERT\s+INTO\s+"?outbox_events"?\s*\(\s*"?queue"?\s*,\s*"?name"?\s*,[^)]*\)\s*(?:SELECT|VALUES\s*\()\s*'([^']+)'\s*,\s*'([^']+)'/i.exec(statement);
      found.push({ migration, statement, queue: read?.[1], name: read?.[2] });
    }
  }
  return found;
}

describe('TRIGGERED_JOBS', () => {
  const inserts = outboxInserts();

  it('finds the outbox inserts of the migrations (the search triggers at least)', () => {
    expect(inserts.length).toBeGreaterThanOrEqual(3);
  });

  it('reads the queue and job name of every outbox insert (a new shape must be taught to this test)', () => {
    expect(inserts.filter((insert) => !insert.queue || !insert.name).map((insert) => `${insert.migration}: ${insert.statement.slice(0, 120)}`)).toEqual([]);
  });

  it('lists exactly the jobs the migrations enqueue', () => {
    const inMigrations = [...new Set(inserts.map((insert) => `${insert.queue}/${insert.name}`))].sort();
    const listed = TRIGGERED_JOBS.map((job) => `${job.queue}/${job.name}`).sort();
    expect(listed).toEqual(inMigrations);
  });
});
