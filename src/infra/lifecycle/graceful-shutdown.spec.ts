import { createServer, request, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { drainHttpServer, within } from './graceful-shutdown';

/** A real HTTP server whose every answer takes `delayMs`; `received()` counts the requests that reached it. */
async function slowServer(delayMs: number): Promise<{ server: Server; port: number; received: () => number }> {
  let received = 0;
  const server = createServer((_request, response) => {
    received += 1;
    setTimeout(() => response.end('done'), delayMs).unref();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, received: () => received };
}

/** Waits until `count` requests have reached the server: they are in flight, whatever the machine's load. */
async function inFlight(received: () => number, count: number): Promise<void> {
  while (received() < count) await sleep(5);
}

/** GET / on a keep-alive connection: the body, or the error's code. */
function get(port: number): Promise<string> {
  return new Promise((resolve) => {
    const call = request({ port, host: '127.0.0.1', path: '/', agent: false, headers: { connection: 'keep-alive' } }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve(body));
      response.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    });
    call.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    call.end();
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('drainHttpServer', () => {
  it('finishes the requests in flight, refuses new connections, and resolves once they are done', async () => {
    const { server, port, received } = await slowServer(500);
    const answers = [get(port), get(port)];
    await inFlight(received, 2);
    const drained = drainHttpServer(server, 10_000);
    expect(await get(port)).toBe('ECONNREFUSED');
    expect(await Promise.all(answers)).toEqual(['done', 'done']);
    await drained;
    expect(server.listening).toBe(false);
  });

  it('cuts the connections still busy at the deadline', async () => {
    const { server, port, received } = await slowServer(30_000);
    const stuck = get(port);
    await inFlight(received, 1);
    const started = Date.now();
    await drainHttpServer(server, 200);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(await stuck).toMatch(/ECONNRESET|socket hang up|aborted/);
  });
});

describe('within', () => {
  it('says whether the work settled before the time was up', async () => {
    expect(await within(sleep(10), 1_000)).toBe(true);
    expect(await within(Promise.reject(new Error('failed')), 1_000)).toBe(true);
    expect(await within(sleep(1_000), 20)).toBe(false);
  });
});
