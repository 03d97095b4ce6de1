// What the test helpers and the benchmarks share to run servers of their own on this machine: a
// free loopback port, and the user a server that refuses root runs as.
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';

/**
 * Where the next search of the range starts: just past the port handed out last (a random place
 * at first), so that a port is not handed out again while it may still be about to be bound.
 */
let cursor;

/** The range TEST_PORT_RANGE names (`7100-7199`), or undefined: any port the system picks. */
function portRange() {
  const named = process.env.TEST_PORT_RANGE;
  if (!named) return undefined;
  const match = /^(\d+)-(\d+)$/.exec(named.trim());
  if (!match || Number(match[1]) < 1 || Number(match[2]) > 65_535 || Number(match[1]) > Number(match[2])) {
    throw new Error(`TEST_PORT_RANGE must read like 7100-7199, not "${named}"`);
  }
  return [Number(match[1]), Number(match[2])];
}

/** Resolves to `port` (0: one the system picks) once it was free a moment ago, or undefined when it is taken. */
function tryPort(port) {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : undefined));
    });
  });
}

/**
 * A TCP port nobody listens on right now: one the system picks, or, with TEST_PORT_RANGE set
 * (a machine whose users share the loopback interface by ranges), the first free one of the
 * range after the one it handed out last.
 */
export async function freePort() {
  const range = portRange();
  if (!range) {
    const port = await tryPort(0);
    if (port === undefined) throw new Error('no free port');
    return port;
  }
  const size = range[1] - range[0] + 1;
  cursor ??= Math.floor(Math.random() * size);
  for (let step = 0; step < size; step += 1) {
    const port = range[0] + ((cursor + step) % size);
    if ((await tryPort(port)) !== undefined) {
      cursor = (cursor + step + 1) % size;
      return port;
    }
  }
  throw new Error(`no free port left in TEST_PORT_RANGE ${process.env.TEST_PORT_RANGE}`);
}

/**
 * uid and gid to run a server as that refuses root (PostgreSQL, Elasticsearch, OpenSearch): ours,
 * or the `postgres` system user's when we are root.
 */
export function postgresUser() {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const uid = id('-u');
  const gid = id('-g');
  if (!Number.isInteger(uid) || uid <= 0) throw new Error('running as root and there is no postgres user to run the server as');
  return { uid, gid };
}
