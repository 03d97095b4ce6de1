// A real search node of its own: Elasticsearch 8.14 or OpenSearch 2.19, from the projects'
// integration-test distributions that search-engines/pom.xml fetches from Maven Central (the first
// run downloads them, later runs unpack nothing and reuse the local Maven cache). One node, on a
// free loopback port, security off, its data in a temporary folder. Shared by the live test suites
// (search-node.ts) and the search benchmark (bench/search.mjs).
//
// Both refuse to run as root: when we run as root, the node runs as the `postgres` system user, as
// the throwaway PostgreSQL does.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, postgresUser } from './local-servers.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const ENGINES_DIR = path.join(ROOT, 'search-engines');
const TARGET = path.join(ENGINES_DIR, 'target');

export const LIVE_SEARCH_ENGINES = ['elasticsearch', 'opensearch'];

/** Maven's project version properties: the one place the engines' versions are written. */
export function engineVersion(engine) {
  const match = new RegExp(`<${engine}\\.version>([^<]+)<`).exec(readFileSync(path.join(ENGINES_DIR, 'pom.xml'), 'utf8'));
  if (!match) throw new Error(`search-engines/pom.xml names no ${engine}.version`);
  return match[1];
}

/** Its home, its start script, and the prefix of its start script's variables (ES_JAVA_HOME, OPENSEARCH_JAVA_HOME, ...). */
function distribution(engine) {
  const home = path.join(TARGET, `${engine}-${engineVersion(engine)}`);
  return engine === 'elasticsearch'
    ? { home, bin: path.join(home, 'bin', 'elasticsearch'), env: 'ES' }
    : { home, bin: path.join(home, 'bin', 'opensearch'), env: 'OPENSEARCH' };
}

/** The tools a node needs that this machine lacks (java, mvn on the PATH): none when it can run one. */
export function missingSearchNodeTools() {
  return ['java', 'mvn'].filter((tool) => spawnSync(tool, [tool === 'java' ? '-version' : '-v'], { stdio: 'ignore' }).error);
}

/** Whether this machine has what a node needs (java and mvn on the PATH). */
export function canRunSearchNode() {
  return missingSearchNodeTools().length === 0;
}

/** Thrown when this machine cannot run a node (no Java or no Maven): the caller says so in one line. */
export class SearchNodeUnavailable extends Error {}

/** The Java home of `java` on the PATH (or JAVA_HOME), which the node's start script needs. */
function javaHome() {
  if (process.env.JAVA_HOME) return process.env.JAVA_HOME;
  const probe = spawnSync('java', ['-XshowSettings:properties', '-version'], { encoding: 'utf8' });
  const home = /java\.home = (.+)/.exec(`${probe.stderr ?? ''}`)?.[1]?.trim();
  if (probe.error || !home) throw new SearchNodeUnavailable('no Java on this machine (java -version failed): install OpenJDK 17');
  return home;
}

/**
 * Downloads (first run) and unpacks the distribution, and adds what its test distribution leaves
 * out: for Elasticsearch, the test modules plugin (search-engines/src); for OpenSearch, its
 * analysis-common module, published on its own.
 */
function prepare(engine) {
  const dist = distribution(engine);
  const extra =
    engine === 'elasticsearch'
      ? { folder: path.join(dist.home, 'plugins', 'conduit-test-modules'), jar: path.join(TARGET, 'conduit-test-modules.jar'), descriptor: 'plugin-descriptor.properties' }
      : { folder: path.join(dist.home, 'modules', 'analysis-common'), jar: undefined, descriptor: 'opensearch-analysis-common.properties' };
  const installed = path.join(extra.folder, 'plugin-descriptor.properties');
  if (existsSync(dist.bin) && existsSync(installed)) return dist;
  if (spawnSync('mvn', ['-v'], { encoding: 'utf8' }).error) throw new SearchNodeUnavailable('no Maven on this machine (mvn): install it to fetch the search engine');
  const goals = engine === 'elasticsearch' ? ['package', 'dependency:unpack@elasticsearch'] : ['package', 'dependency:unpack@opensearch', 'dependency:copy@opensearch-modules'];
  const build = spawnSync('mvn', ['-B', '-q', '-f', path.join(ENGINES_DIR, 'pom.xml'), ...goals], { encoding: 'utf8', timeout: 600_000 });
  if (build.status !== 0) throw new Error(`mvn ${goals.join(' ')} failed:\n${build.stdout}\n${build.stderr}`);
  mkdirSync(extra.folder, { recursive: true });
  if (extra.jar) copyFileSync(extra.jar, path.join(extra.folder, path.basename(extra.jar)));
  // The descriptor last: it marks the distribution complete.
  copyFileSync(path.join(TARGET, 'plugin', extra.descriptor), installed);
  return dist;
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function answers(url) {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(1_000) })).ok;
  } catch {
    return false;
  }
}

/** Without a caller's keeper: the child is SIGKILLed if this process exits first, and stopped by signal. */
function keepChild(child) {
  const onExit = () => child.kill('SIGKILL');
  process.once('exit', onExit);
  return async (signal = 'SIGTERM') => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill(signal);
      await exited;
    }
    process.off('exit', onExit);
  };
}

/**
 * Starts a single node of `engine`; throws SearchNodeUnavailable when the machine has no Java or
 * Maven. `keep` takes each started process under the caller's care (the test helpers' adoptChild)
 * and returns how to stop it. `javaOptions` by default: a small, fixed heap and the quick
 * compiler only, as the machine is shared and a test index small (a benchmark wants more).
 */
export async function startSearchNode(engine, { keep = keepChild, javaOptions = '-Xms512m -Xmx512m -XX:TieredStopAtLevel=1' } = {}) {
  const java = javaHome();
  const dist = prepare(engine);
  const user = postgresUser();
  const dir = mkdtempSync(path.join(tmpdir(), `conduit-${engine}-`));
  const config = path.join(dir, 'config');
  cpSync(path.join(dist.home, 'config'), config, { recursive: true });
  // The shipped options write GC logs and heap dumps relative to the working folder: not here.
  const jvmOptions = path.join(config, 'jvm.options');
  writeFileSync(
    jvmOptions,
    readFileSync(jvmOptions, 'utf8')
      .split('\n')
      .filter((line) => !/^(\d+-?:)?-(Xlog:gc|XX:HeapDumpPath|XX:ErrorFile|XX:\+HeapDumpOnOutOfMemoryError)/.test(line.trim()))
      .join('\n'),
  );
  for (const folder of ['data', 'logs']) mkdirSync(path.join(dir, folder));
  if (user) spawnSync('chown', ['-R', `${user.uid}:${user.gid}`, dir]);

  const [port, transportPort] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${port}`;
  const pidFile = path.join(dir, 'node.pid');
  const settings = [
    'discovery.type=single-node',
    'network.host=127.0.0.1',
    `http.port=${port}`,
    `transport.port=${transportPort}`,
    `path.data=${path.join(dir, 'data')}`,
    `path.logs=${path.join(dir, 'logs')}`,
    'cluster.name=conduit-test',
    'node.name=conduit-test',
    // Nothing creates an index by writing to it: the adapters' require_alias writes must show that.
    'action.auto_create_index=false',
    // A test node on a shared disk: never refuse writes for a disk that is fuller than 90 %.
    'cluster.routing.allocation.disk.threshold_enabled=false',
    ...(engine === 'elasticsearch' ? ['xpack.security.enabled=false', 'xpack.ml.enabled=false'] : []),
  ];
  let child;
  let stopChild;
  let output = '';
  const node = {
    engine,
    version: engineVersion(engine),
    port,
    url,
    startSeconds: 0,
    start: async () => {
      const started = performance.now();
      output = '';
      rmSync(pidFile, { force: true });
      const server = spawn(dist.bin, [...settings.flatMap((setting) => ['-E', setting]), '-p', pidFile], {
        cwd: dir,
        stdio: ['pipe', 'pipe', 'pipe'],
        env: {
          ...process.env,
          [`${dist.env}_JAVA_HOME`]: java,
          [`${dist.env}_PATH_CONF`]: config,
          [`${dist.env}_JAVA_OPTS`]: javaOptions,
        },
        ...user,
      });
      stopChild = keep(server);
      server.stdout?.on('data', (chunk) => (output = (output + chunk.toString()).slice(-20_000)));
      server.stderr?.on('data', (chunk) => (output = (output + chunk.toString()).slice(-20_000)));
      child = server;
      const deadline = Date.now() + 240_000;
      while (!(await answers(url))) {
        if (server.exitCode !== null) throw new Error(`${engine} exited with ${server.exitCode}:\n${output}`);
        if (Date.now() > deadline) throw new Error(`${engine} on port ${port} did not answer within 240 s:\n${output}`);
        await sleep(250);
      }
      node.startSeconds = (performance.now() - started) / 1000;
    },
    stop: async () => {
      if (child && child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child?.kill('SIGKILL'), 30_000);
        await exited;
        clearTimeout(timer);
      }
      await stopChild?.();
    },
    kill: async () => {
      // Elasticsearch's start script runs the server as a child JVM: kill that one, by its pid file.
      const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : undefined;
      if (pid) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
      await stopChild?.('SIGKILL');
      while (await answers(url)) await sleep(100);
    },
    remove: async () => {
      await node.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await node.start();
  return node;
}
