import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { DrillStack, startDrillStack } from '../helpers/drill-stack';
import { canRunSearchNode, SearchNode, startSearchNode } from '../helpers/search-node';
import { sleep, waitFor } from '../helpers/worker';

/**
 * The Elasticsearch node SIGKILLed and started again in the middle of a write load (articles
 * created one after another), with the api and the worker running on it. While it is down,
 * search answers 503 in the spec's error shape and the rest of the API is unaffected (writes
 * succeed: their search events wait in the outbox and the queue); once it is back, every article
 * written reaches the index and `search:check` finds no drift to repair.
 */

jest.setTimeout(420_000);

const ROOT = path.resolve(__dirname, '..', '..');

// Without Java or Maven a developer's run says so; with CI=true the drill runs and fails instead.
const runnable = canRunSearchNode() || ['true', '1'].includes((process.env.CI ?? '').toLowerCase());
if (!runnable) console.log('search-node-restart drill: did NOT run: no java or no mvn on this machine (install OpenJDK 17 and Maven)');

(runnable ? describe : describe.skip)('Drill: the Elasticsearch node killed and restarted under a write load', () => {
  let node: SearchNode;
  let stack: DrillStack;

  beforeAll(async () => {
    node = await startSearchNode('elasticsearch');
    stack = await startDrillStack({ ELASTICSEARCH_NODE: node.url, ELASTICSEARCH_TIMEOUT_MS: '2000' });
  });

  afterAll(async () => {
    await stack?.close();
    await node?.remove();
  });

  it('loses no write, answers search with 503 while down, and leaves no drift', async () => {
    const author = await stack.client.register('author');
    const word = `drill${Date.now().toString(36)}`;
    const written: string[] = [];
    const writeStatuses: number[] = [];
    let writing = true;
    const load = (async () => {
      for (let n = 0; writing && n < 400; n += 1) {
        const response = await stack.client.call('post', '/api/articles', author).send({ article: { title: `${word} number ${n}`, description: 'drill', body: `${word} body ${n}` } });
        writeStatuses.push(response.status);
        if (response.status === 201) written.push((response.body as { article: { slug: string } }).article.slug);
        await sleep(100);
      }
    })();

    await sleep(3_000);
    await node.kill();
    const killedAt = Date.now();
    const search = await stack.client.call('get', `/api/search/articles?q=${word}`);
    const list = await stack.client.call('get', '/api/articles?limit=5');
    await node.start();
    const outageSeconds = (Date.now() - killedAt) / 1000;
    await sleep(3_000);
    writing = false;
    await load;

    // Every article written, found by search once the queue has caught up.
    const found = await waitFor(
      `all ${written.length} articles searchable`,
      async () => {
        const response = await stack.client.call('get', `/api/search/articles?q=${word}&limit=1`);
        return response.status === 200 && (response.body as { articlesCount: number }).articlesCount === written.length ? response.body : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 1_000 },
    );
    const check = spawnSync(process.execPath, [path.join(ROOT, 'dist/src/cli.js'), 'search:check', '--json'], { cwd: ROOT, env: { ...process.env, ...stack.env }, encoding: 'utf8', timeout: 120_000 });
    const report = JSON.parse(check.stdout.slice(check.stdout.indexOf('{'))) as { missing: number; stale: number; extra: number; repaired: number; inSync: boolean };
    console.log(
      `DRILL search-node-restart: outage ${outageSeconds.toFixed(1)} s (node restart ${node.startSeconds.toFixed(1)} s), articles written ${written.length}, ` +
        `write statuses ${JSON.stringify(countBy(writeStatuses))}, searchable afterwards ${(found as { articlesCount: number }).articlesCount}, ` +
        `search while down ${search.status}, list while down ${list.status}, check ${JSON.stringify(report)}`,
    );

    expect({ status: search.status, body: search.body as unknown }).toEqual({ status: 503, body: { errors: { search: [expect.any(String)] } } });
    expect(list.status).toBe(200);
    expect(writeStatuses.filter((status) => status !== 201)).toEqual([]);
    expect(written.length).toBeGreaterThan(10);
    expect(check.status).toBe(0);
    expect(report).toMatchObject({ missing: 0, stale: 0, extra: 0, repaired: 0, inSync: true });
  });
});

function countBy(values: number[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}
