import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect, createServer, Socket } from 'node:net';
import path from 'node:path';
import { freePort } from './local-servers.mjs';

/**
 * Real processes for the cache suites: built api processes (`dist/src/main.js`) and throwaway
 * `redis-server`s on free ports. Every child is tracked and killed by `stopAll()` (call it in
 * `afterAll`), and, as a last resort, when the test process exits.
 */

const ROOT = path.resolve(__dirname, '..', '..');
const MAIN = path.join(ROOT, 'dist', 'src', 'main.js');
const children = new Set<ChildProcess>();

export { freePort };

process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Makes sure the built application exists. Another build may be under way (it empties dist/
 * first), so wait for it a little before building.
 */
export function ensureBuilt(): Promise<void> {
  building ??= build();
  return building;
}

let building: Promise<void> | undefined;

async function build(): Promise<void> {
  for (let waited = 0; !existsSync(MAIN) && waited < 20_000; waited += 250) await sleep(250);
  if (existsSync(MAIN)) return;
  const result = spawnSync('npm', ['run', 'build'], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (result.status !== 0 || !existsSync(MAIN)) {
    throw new Error(`npm run build failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  }
}

async function waitUntil(what: string, timeoutMs: number, ready: () => Promise<boolean> | boolean, describe: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await ready()) return;
    await sleep(50);
  }
  throw new Error(`${what} not ready within ${timeoutMs} ms\n${describe()}`);
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
    await exited(child);
    clearTimeout(timer);
  }
  children.delete(child);
}

/** How long a process may take to start: a few seconds alone, far longer on a machine busy with other suites. */
export const START_TIMEOUT_MS = 60_000;

export interface ApiProcess {
  port: number;
  url: string;
  /** The process itself, for a signal of one's own and its exit status. */
  child: ChildProcess;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  stop(): Promise<void>;
  /** SIGKILL: connections in flight are cut, nothing is cleaned up; resolves once the process is gone. */
  kill(): Promise<void>;
}

/**
 * Starts `node dist/src/main.js` with the test's environment plus `env`, on `port` (a replica
 * restarted where it was, behind the same address) or a free one.
 */
export async function startApi(env: Record<string, string> = {}, { port: wanted }: { port?: number } = {}): Promise<ApiProcess> {
  await ensureBuilt();
  const port = wanted ?? (await freePort());
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      LOG_LEVEL: 'info',
      NO_COLOR: '1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const api: ApiProcess = {
    port,
    url: `http://127.0.0.1:${port}`,
    child,
    output: () => output,
    stop: () => stop(child),
    kill: () => stop(child, 'SIGKILL'),
  };
  try {
    await waitUntil(
      `api on port ${port}`,
      START_TIMEOUT_MS,
      () => {
        if (child.exitCode !== null) throw new Error(`api on port ${port} exited with ${child.exitCode}:\n${output}`);
        return output.includes('listening on');
      },
      () => output,
    );
  } catch (error) {
    await stop(child, 'SIGKILL');
    throw error;
  }
  return api;
}

/** One PING over a fresh connection: true when Redis answers PONG within 300 ms. */
export function redisAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const done = (answer: boolean): void => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(300, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

export interface ThrowawayRedis {
  port: number;
  url: string;
  /** Kills the server (SIGKILL: no goodbye to clients); a later `start()` reuses the port. */
  kill(): Promise<void>;
  /** Freezes (SIGSTOP) or thaws (SIGCONT) the server: connections stay open but nothing answers. */
  pause(): void;
  resume(): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Keys matching a glob, through `redis-cli --scan`. */
  keys(pattern: string): string[];
  /** The string stored under `key` (empty when none), through `redis-cli GET`. */
  value(key: string): string;
}

/**
 * A `redis-server` of its own on a free port, without persistence. With `started: false` the port
 * is reserved but nothing listens on it until `start()`.
 */
export async function startThrowawayRedis({ started = true }: { started?: boolean } = {}): Promise<ThrowawayRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    children.add(server);
    child = server;
    await waitUntil(
      `redis-server on port ${port}`,
      5_000,
      () => redisAnswers(port),
      () => '',
    );
  };
  if (started) await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    start,
    kill: async () => {
      if (child) await stop(child, 'SIGKILL');
    },
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
    stop: async () => {
      if (!child) return;
      child.kill('SIGCONT');
      await stop(child, 'SIGKILL');
    },
    keys: (pattern: string) => {
      const scan = spawnSync('redis-cli', ['-p', String(port), '--scan', '--pattern', pattern], { encoding: 'utf8', timeout: 5_000 });
      if (scan.status !== 0) throw new Error(`redis-cli --scan failed: ${scan.stderr}`);
      return scan.stdout.split('\n').filter(Boolean);
    },
    value: (key: string) => {
      const get = spawnSync('redis-cli', ['-p', String(port), '--raw', 'GET', key], { encoding: 'utf8', timeout: 5_000 });
      if (get.status !== 0) throw new Error(`redis-cli GET failed: ${get.stderr}`);
      return get.stdout.trim();
    },
  };
}

/** Stops every child started through this module (api processes and throwaway Redis servers). */
export async function stopAll(): Promise<void> {
  await Promise.all(
    [...children].map((child) => {
      child.kill('SIGCONT');
      return stop(child, child.spawnfile === 'redis-server' ? 'SIGKILL' : 'SIGTERM');
    }),
  );
}

export interface TcpProxy {
  port: number;
  url: string;
  /** Delays every chunk, both ways, by `ms` from now on (order is kept): a slow network or Redis. */
  setDelay(ms: number): void;
  /** Resolves once nothing delayed is still waiting to be relayed. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A TCP relay in this process to `127.0.0.1:targetPort`, so that one api process can be given a
 * slow path to a Redis that others reach directly. A connection whose target does not answer is
 * closed, as a refused one would be.
 */
export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  let delayMs = 0;
  const sockets = new Set<Socket>();
  const queues = new Set<Array<{ due: number; chunk: Buffer }>>();
  /** Copies `from` to `to`, each chunk no earlier than `delayMs` after it arrived, in order. */
  const relay = (from: Socket, to: Socket): void => {
    const queue: Array<{ due: number; chunk: Buffer }> = [];
    queues.add(queue);
    from.on('close', () => queues.delete(queue));
    let timer: NodeJS.Timeout | undefined;
    const pump = (): void => {
      timer = undefined;
      while (queue.length > 0 && queue[0].due <= Date.now()) {
        const { chunk } = queue.shift()!;
        if (!to.destroyed) to.write(chunk);
      }
      if (queue.length > 0) timer = setTimeout(pump, queue[0].due - Date.now());
    };
    from.on('data', (chunk: Buffer) => {
      queue.push({ due: Date.now() + delayMs, chunk });
      if (!timer) pump();
    });
  };
  const server = createServer((client) => {
    const target = connect(targetPort, '127.0.0.1');
    for (const socket of [client, target]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        sockets.delete(socket);
        client.destroy();
        target.destroy();
      });
    }
    relay(client, target);
    relay(target, client);
  });
  const port = await freePort();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    setDelay: (ms) => (delayMs = ms),
    idle: async () => {
      while ([...queues].some((queue) => queue.length > 0)) await sleep(10);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * Puts a child started elsewhere (e.g. the worker helpers in `worker.ts`) under this module's care:
 * `stopAll()` and the exit hook kill it too. Returns its stop function: the signal (SIGTERM by
 * default, SIGKILL after 3 s), then waits for the exit.
 */
export function adoptChild(child: ChildProcess): (signal?: NodeJS.Signals) => Promise<void> {
  children.add(child);
  return (signal: NodeJS.Signals = 'SIGTERM') => stop(child, signal);
}
