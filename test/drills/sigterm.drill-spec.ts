import { ChildProcess } from 'node:child_process';
import { ApiProcess, startApi, startTcpProxy, TcpProxy } from '../helpers/child-processes';
import { DrillStack, startDrillStack } from '../helpers/drill-stack';
import { sleep, waitFor } from '../helpers/worker';

/**
 * SIGTERM with work in flight. The api, reaching PostgreSQL through a relay that delays every
 * packet, gets slow requests, then SIGTERM: it must refuse new connections, finish every request
 * it had, and exit with 0. The worker gets SIGTERM while a mail is in its SMTP conversation: it
 * must finish the job (the mail sent once, its event completed) and exit with 0.
 */

jest.setTimeout(180_000);

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: string | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

describe('Drill: SIGTERM with work in flight', () => {
  let stack: DrillStack;
  let proxy: TcpProxy;
  let slowApi: ApiProcess;

  beforeAll(async () => {
    stack = await startDrillStack();
    proxy = await startTcpProxy(stack.postgres.port);
    slowApi = await startApi({ ...stack.env, DATABASE_URL: stack.postgres.url.replace(`:${stack.postgres.port}/`, `:${proxy.port}/`), CACHE_ENABLED: 'false' });
  });

  afterAll(async () => {
    await proxy?.close();
    await stack?.close();
  });

  it('lets the api finish every request in flight, refuse new ones, and exit with 0', async () => {
    proxy.setDelay(300);
    const started = Date.now();
    const slow = Array.from({ length: 8 }, (_unused, index) =>
      fetch(`${slowApi.url}${index % 2 ? '/api/articles' : '/api/tags'}`).then(
        (response) => ({ status: response.status, ms: Date.now() - started }),
        (error: Error) => ({ status: 0, ms: Date.now() - started, error: error.message }),
      ),
    );
    await sleep(400);
    const exit = exitOf(slowApi.child);
    const signalledAfter = Date.now() - started;
    slowApi.child.kill('SIGTERM');
    await sleep(200);
    const afterSignal = await fetch(`${slowApi.url}/api/tags`).then(
      (response) => `answered ${response.status}`,
      () => 'refused',
    );
    const results = await Promise.all(slow);
    const { code, signal } = await exit;
    console.log(
      `DRILL sigterm-api: requests in flight ${results.filter((result) => result.ms > signalledAfter).length}, completed ${results.filter((result) => result.status === 200).length}, ` +
        `slowest ${Math.max(...results.map((result) => result.ms))} ms, new request after SIGTERM ${afterSignal}, exit ${code ?? signal}`,
    );
    expect(results.map((result) => result.status)).toEqual(Array(8).fill(200));
    // Every one of them was still running when the signal came.
    expect(results.filter((result) => result.ms <= signalledAfter)).toEqual([]);
    expect(afterSignal).toBe('refused');
    expect({ code, signal }).toEqual({ code: 0, signal: null });
  });

  it('lets the worker finish the job in flight and exit with 0', async () => {
    stack.smtp.setBehaviour({ kind: 'delay', ms: 2_000 });
    const user = await stack.client.register('term');
    await waitFor('the welcome mail to be in its SMTP conversation', () => stack.smtp.held() === 1, { timeoutMs: 20_000, details: () => stack.worker.output() });
    const exit = exitOf(stack.worker.child);
    stack.worker.child.kill('SIGTERM');
    const { code, signal } = await exit;
    const [event] = await stack.database.outbox(`name = 'welcome' AND (payload->>'userId')::int = $1`, [user.id]);
    const copies = stack.smtp.to(user.email).length;
    console.log(`DRILL sigterm-worker: jobs in flight 1, mails delivered ${copies}, event completed ${event.completedAt !== null}, exit ${code ?? signal}`);
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(copies).toBe(1);
    expect(event.completedAt).not.toBeNull();
  });
});
