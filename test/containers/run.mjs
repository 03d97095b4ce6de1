#!/usr/bin/env node
// The container tier (`npm run test:containers`): the project's Dockerfile and docker-compose.yml,
// for real. As root on a Debian machine; no container registry needs to be reachable.
//
//   1. engine    apt-get installs Debian's Docker engine, its client and docker-compose (engine.sh)
//   2. images    the base and stand-in images the project's files name, made locally and cached
//   3. build     the project's image from the Dockerfile (a copy of the working tree, with a decoy
//                .env that must not reach the image), then again after a source-only change
//   4. image     its size, user, health check, and that no secret or .env is baked in
//   5. up        the compose stack, health checks and depends_on order, ports on 127.0.0.1:40xx
//   6. journey   through the published port: register, article, comment, the mails in the mail
//                catcher, search, an upload processed by the worker and served by the api,
//                `docker compose run --rm api cli db:check`, two workers sharing work with nothing
//                done twice, SIGTERM to the api and the workers (exit 0 within SHUTDOWN_TIMEOUT_MS),
//                and the image run without --init (node as PID 1)
//   7. down      `down -v`
//
// README's other quick start, without Docker, is `npm run test:quickstart` (quickstart.mjs).
// Without root or apt-get it says so in one line and exits 0, except under CI=true, where it fails.
// Writes .tmp/test-results/containers.json ({ passed, failed, timings, sizes }) for `npm test`.
import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32, deflateSync } from 'node:zlib';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const CONTEXT = process.env.CONDUIT_BUILD_CONTEXT || '/tmp/conduit-containers-context';
// docker-compose runs `docker` from the PATH: Debian's client (20.10, BuildKit), not another one.
const CLIENT_DIR = '/tmp/conduit-containers-client';
const PROJECT = 'conduitctr';
const API = 'http://127.0.0.1:4000';
const MAILPIT = 'http://127.0.0.1:4025';
const SHUTDOWN_TIMEOUT_MS = 10_000;
const IMAGE = 'conduit:local';
const ENGINE_ENV = {
  ...process.env,
  DOCKER_HOST: `unix://${process.env.CONDUIT_DOCKER_SOCKET || '/run/conduit-docker.sock'}`,
  DOCKER_BUILDKIT: '1',
  COMPOSE_DOCKER_CLI_BUILD: '1',
  PATH: `${CLIENT_DIR}:${process.env.PATH}`,
  API_HOST_PORT: '4000',
  MAILPIT_HOST_PORT: '4025',
  POSTGRES_HOST_PORT: '4032',
  REDIS_HOST_PORT: '4079',
  ELASTICSEARCH_HOST_PORT: '4092',
  MEDIA_PUBLIC_URL: `${API}/media`,
  LOG_LEVEL: 'debug',
  // README's quick start exports a random secret before `up`: the compose file has no default.
  JWT_SECRET: `container-tier-${Math.random().toString(36).slice(2)}-${'x'.repeat(32)}`,
};

const timings = {};
const sizes = {};
let passed = 0;
let failed = 0;

// ---------------------------------------------------------------------------------------------
// Running things

function sh(program, args, { input, allowFailure = false, quiet = false, cwd = ROOT, timeoutMs = 900_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { cwd, env: ENGINE_ENV, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      if (!quiet) process.stdout.write(chunk);
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      if (!quiet) process.stderr.write(chunk);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0 && !allowFailure) reject(new Error(`${program} ${args.join(' ')} exited with ${code}\n${stderr.slice(-3000)}`));
      else resolve({ code, stdout, stderr });
    });
    child.stdin.end(input ?? '');
  });
}

const docker = (args, options) => sh('/usr/bin/docker', args, options);
const composeFiles = ['-p', PROJECT, '--project-directory', CONTEXT, '-f', `${CONTEXT}/docker-compose.yml`, '-f', `${HERE}/compose.tier.yml`];
const compose = (args, options) => sh('docker-compose', [...composeFiles, ...args], options);

async function timed(name, work) {
  const started = performance.now();
  console.log(`\n== ${name}`);
  try {
    return await work();
  } finally {
    timings[name] = Math.round((performance.now() - started) / 100) / 10;
    console.log(`== ${name}: ${timings[name]} s`);
  }
}

function check(what, ok, detail = '') {
  if (ok) passed += 1;
  else failed += 1;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}${!ok && detail ? `: ${detail}` : ''}`);
  return ok;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what, timeoutMs, probe) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      last = await probe();
      if (last) return last;
    } catch (error) {
      last = error;
    }
    await sleep(1_000);
  }
  throw new Error(`${what}: not within ${timeoutMs / 1000} s (${last instanceof Error ? last.message : JSON.stringify(last)})`);
}

async function http(method, url, { token, body, form } = {}) {
  const headers = {};
  if (token) headers.Authorization = `Token ${token}`;
  if (body) headers['Content-Type'] = 'application/json';
  const response = await fetch(url, { method, headers, body: form ?? (body ? JSON.stringify(body) : undefined), signal: AbortSignal.timeout(15_000) });
  const text = await response.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, json, text, headers: response.headers };
}

// ---------------------------------------------------------------------------------------------
// The steps

function preconditions() {
  const missing = [];
  if (process.getuid?.() !== 0) missing.push('root');
  if (!existsSync('/usr/bin/apt-get')) missing.push('apt-get');
  if (missing.length === 0) return true;
  const line = `test:containers: needs ${missing.join(' and ')} (it installs Docker with apt-get)`;
  if (process.env.CI === 'true') throw new Error(`${line}; CI=true: failing instead of skipping`);
  console.log(`${line}: skipped`);
  return false;
}

/** The working tree as git sees it (tracked and untracked, not ignored), plus a decoy .env. */
function buildContext() {
  rmSync(CONTEXT, { recursive: true, force: true });
  mkdirSync(CONTEXT, { recursive: true });
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' })
    .split('\0')
    .filter((file) => file && existsSync(path.join(ROOT, file)));
  for (const file of files) cpSync(path.join(ROOT, file), path.join(CONTEXT, file), { recursive: false, force: true, verbatimSymlinks: true });
  writeFileSync(path.join(CONTEXT, '.env'), 'JWT_SECRET=decoy-secret-that-must-never-reach-the-image-0123456789\n');
  return files.length;
}

/** `docker build` of the context; returns the steps BuildKit took from its cache. */
async function buildImage() {
  const { stderr, stdout } = await docker(['build', '--progress=plain', '-t', IMAGE, CONTEXT], { quiet: true });
  const log = stderr + stdout;
  const steps = new Map();
  for (const line of log.split('\n')) {
    const named = /^#(\d+) \[([^\]]+)\] (.*)$/.exec(line);
    if (named) steps.set(named[1], { name: `[${named[2]}] ${named[3]}`, cached: false });
    const cached = /^#(\d+) CACHED$/.exec(line);
    if (cached && steps.has(cached[1])) steps.get(cached[1]).cached = true;
  }
  return [...steps.values()];
}

async function imageFacts() {
  const [inspect] = JSON.parse((await docker(['image', 'inspect', IMAGE], { quiet: true })).stdout);
  sizes[IMAGE] = `${Math.round(inspect.Size / 1e6)} MB`;
  const base = JSON.parse((await docker(['image', 'inspect', 'node:24-slim'], { quiet: true })).stdout)[0];
  sizes['node:24-slim (stand-in base)'] = `${Math.round(base.Size / 1e6)} MB`;
  sizes['layers added to the base'] = `${Math.round((inspect.Size - base.Size) / 1e6)} MB`;
  check('the image runs as a non-root user', inspect.Config.User === 'node', inspect.Config.User);
  check('the image has a HEALTHCHECK', Boolean(inspect.Config.Healthcheck?.Test?.length));
  const env = inspect.Config.Env.join('\n');
  check('no secret in the image environment', !/JWT_SECRET|PASSWORD|TOKEN|decoy/i.test(env), env);
  const files = await docker(['run', '--rm', '--read-only', IMAGE, 'sh', '-c', 'ls -a /app; grep -rl decoy-secret /app --exclude-dir=node_modules || true'], { quiet: true });
  check('no .env in the image (.dockerignore)', !files.stdout.split('\n').includes('.env') && !files.stdout.includes('decoy'), files.stdout);
}

function png(width, height) {
  const chunk = (type, data) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([Buffer.from(type), data])));
    return Buffer.concat([length, Buffer.from(type), data, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const rows = [];
  for (let y = 0; y < height; y += 1) {
    rows.push(0);
    for (let x = 0; x < width; x += 1) rows.push((x * 4) % 256, (y * 5) % 256, 128);
  }
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', header), chunk('IDAT', deflateSync(Buffer.from(rows))), chunk('IEND', Buffer.alloc(0))]);
}

async function register(name) {
  const email = `${name}@example.com`;
  const response = await http('POST', `${API}/api/users`, { body: { user: { username: name, email, password: 'container-journey-1' } } });
  if (response.status !== 201) throw new Error(`POST /api/users ${response.status}: ${response.text}`);
  return { email, token: response.json.user.token, username: name };
}

async function mails() {
  const response = await http('GET', `${MAILPIT}/api/v1/messages`);
  return response.json?.messages ?? [];
}

async function containerIds(service) {
  return (await compose(['ps', '-q', service], { quiet: true })).stdout.split('\n').filter(Boolean);
}

async function journey(run) {
  const author = await register(`author${run}`);
  check('register (POST /api/users) through the published port', Boolean(author.token));
  const created = await http('POST', `${API}/api/articles`, {
    token: author.token,
    body: { article: { title: `Containers ${run}`, description: 'built for real', body: `The stack ran zeppelin${run} in containers`, tagList: ['containers'] } },
  });
  check('article created', created.status === 201, created.text);
  const slug = created.json?.article?.slug;
  const reader = await register(`reader${run}`);
  const comment = await http('POST', `${API}/api/articles/${slug}/comments`, { token: reader.token, body: { comment: { body: 'Seen from a container' } } });
  check('comment created', comment.status === 200 || comment.status === 201, comment.text);

  const expected = [`Welcome to Conduit, ${author.username}!`, `Welcome to Conduit, ${reader.username}!`, `reader${run} commented on "Containers ${run}"`];
  const caught = await until('the mails in the mail catcher', 60_000, async () => {
    const subjects = (await mails()).map((mail) => mail.Subject);
    return expected.every((subject) => subjects.includes(subject)) && subjects;
  }).catch((error) => error.message);
  check('welcome and comment mails delivered to the mail catcher (worker, SMTP)', Array.isArray(caught), String(caught));

  const found = await until('search finds the article', 30_000, async () => {
    const response = await http('GET', `${API}/api/search/articles?q=zeppelin${run}`);
    return response.json?.articles?.some((article) => article.slug === slug) && response;
  }).catch((error) => error.message);
  check('search finds the article', typeof found === 'object', String(found));

  const form = new FormData();
  form.append('purpose', 'avatar');
  form.append('file', new Blob([png(64, 48)], { type: 'image/png' }), 'avatar.png');
  const upload = await http('POST', `${API}/api/uploads/images`, { token: author.token, form });
  check('image upload accepted', upload.status === 202 || upload.status === 201, upload.text);
  const id = upload.json?.upload?.id ?? upload.json?.id;
  const ready = await until('the upload processed by the worker', 60_000, async () => {
    const response = await http('GET', `${API}/api/uploads/${id}`, { token: author.token });
    return response.text.includes('"status":"ready"') && response.text;
  }).catch((error) => error.message);
  const media = /\/media\/[^"]+\.webp/.exec(String(ready))?.[0];
  check('upload made ready by the worker', Boolean(media), String(ready).slice(0, 300));
  if (media) {
    const served = await fetch(`${API}${media}`);
    check(`the api serves the worker's file (GET ${media})`, served.status === 200 && (await served.arrayBuffer()).byteLength > 0, String(served.status));
  }
  const metrics = await http('GET', `${API}/health/ready`);
  check('GET /health/ready answers 200', metrics.status === 200, metrics.text);
}

async function cliCheck() {
  const { code, stdout, stderr } = await compose(['run', '--rm', 'api', 'cli', 'db:check'], { allowFailure: true, quiet: true });
  check('docker compose run --rm api cli db:check exits 0', code === 0, `${code}: ${stdout}${stderr}`.slice(-800));
}

/** Every job of a burst done once, by two workers (and two outbox relays) between them. */
async function twoWorkers(run) {
  await compose(['up', '-d', '--no-recreate', '--scale', 'worker=2', 'worker'], { quiet: true });
  const workers = await containerIds('worker');
  check('two worker containers run', workers.length === 2, workers.join(' '));
  await until('the second worker started', 90_000, async () => {
    const logs = await Promise.all(workers.map((id) => docker(['logs', id], { quiet: true })));
    return logs.every((log) => (log.stdout + log.stderr).includes('Conduit worker started'));
  });
  const since = Math.floor(Date.now() / 1000) - 1;
  const burst = 16;
  const names = Array.from({ length: burst }, (_, index) => `burst${run}n${index}`);
  for (const name of names) await register(name);
  const subjects = names.map((name) => `Welcome to Conduit, ${name}!`);
  const delivered = await until('every welcome mail of the burst', 120_000, async () => {
    const all = (await mails()).map((mail) => mail.Subject);
    return subjects.every((subject) => all.includes(subject)) && all;
  }).catch((error) => error.message);
  await sleep(3_000); // a duplicate would come late: give it the time to arrive
  const all = (await mails()).map((mail) => mail.Subject);
  const counts = subjects.map((subject) => all.filter((each) => each === subject).length);
  check(`${burst} welcome mails, each delivered exactly once by two workers`, Array.isArray(delivered) && counts.every((count) => count === 1), counts.join(','));
  const sent = await Promise.all(workers.map(async (id) => ((await docker(['logs', '--since', String(since), id], { quiet: true })).stdout.match(/sent </g) ?? []).length));
  check(`both workers took mail jobs (mails sent per worker: ${sent.join(', ')})`, sent.every((count) => count > 0));
}

/** SIGTERM (docker stop) to a container: exit 0 well within SHUTDOWN_TIMEOUT_MS. */
async function stopsGracefully(what, id) {
  const started = performance.now();
  await docker(['stop', '-t', '30', id], { quiet: true });
  const ms = Math.round(performance.now() - started);
  const state = JSON.parse((await docker(['inspect', '-f', '{{json .State}}', id], { quiet: true })).stdout);
  check(`SIGTERM to ${what}: exit ${state.ExitCode} in ${ms} ms (within SHUTDOWN_TIMEOUT_MS ${SHUTDOWN_TIMEOUT_MS})`, state.ExitCode === 0 && ms < SHUTDOWN_TIMEOUT_MS, JSON.stringify(state));
}

/** The image with node as PID 1 (no --init), a read-only root and the image's own health check. */
async function pidOne() {
  const name = `${PROJECT}-pid1`;
  await docker(['rm', '-f', name], { allowFailure: true, quiet: true });
  const secret = 'container-tier-secret-0123456789abcdef';
  await docker(['run', '-d', '--name', name, '--network', `${PROJECT}_default`, '--read-only', '--tmpfs', '/tmp',
    '-e', 'DATABASE_URL=postgresql://conduit:conduit@postgres:5432/conduit', '-e', 'REDIS_URL=redis://redis:6379', '-e', `JWT_SECRET=${secret}`,
    '-e', 'ELASTICSEARCH_NODE=', '-e', 'MAIL_URL=smtp://mailpit:1025', IMAGE], { quiet: true });
  const health = await until('the image health check reports healthy', 120_000, async () => {
    const status = (await docker(['inspect', '-f', '{{.State.Health.Status}}', name], { quiet: true })).stdout.trim();
    if (status === 'unhealthy') throw new Error('unhealthy');
    return status === 'healthy' && status;
  }).catch((error) => error.message);
  check('the image run with no --init, read-only, is healthy by its own HEALTHCHECK', health === 'healthy', health);
  const pid1 = (await docker(['exec', name, 'cat', '/proc/1/cmdline'], { quiet: true })).stdout.replaceAll('\0', ' ').trim();
  check('node is PID 1', pid1.startsWith('node '), pid1);
  await stopsGracefully('the api as PID 1', name);
  await docker(['rm', '-f', name], { quiet: true });
}

async function main() {
  if (!preconditions()) return;
  const total = performance.now();
  mkdirSync(CLIENT_DIR, { recursive: true });
  rmSync(path.join(CLIENT_DIR, 'docker'), { force: true });
  execFileSync('ln', ['-s', '/usr/bin/docker', path.join(CLIENT_DIR, 'docker')]);
  await timed('install', () => sh('bash', [`${HERE}/engine.sh`, 'install']));
  await timed('engine', () => sh('bash', [`${HERE}/engine.sh`, 'start']));
  try {
    await timed('images', () => sh('bash', [`${HERE}/engine.sh`, 'images']));
    await compose(['down', '-v', '--remove-orphans'], { allowFailure: true, quiet: true });
    const files = buildContext();
    console.log(`build context: ${files} files in ${CONTEXT}, and a decoy .env`);
    const first = await timed('build (first)', buildImage);
    const depsCached = first.filter((step) => /npm ci/.test(step.name) && step.cached).length;
    console.log(`first build: ${first.filter((step) => step.cached).length} of ${first.length} steps from the cache (npm ci steps cached: ${depsCached})`);
    await timed('image checks', imageFacts);

    appendFileSync(path.join(CONTEXT, 'src/main.ts'), `// source-only change ${Date.now()}\n`);
    const warm = await timed('build (source change)', buildImage);
    const rebuilt = warm.filter((step) => !step.cached).map((step) => step.name);
    check('a source-only change rebuilds neither npm ci step', warm.filter((step) => /npm ci/.test(step.name)).every((step) => step.cached), rebuilt.join(' | '));
    console.log(`rebuilt after a source change: ${rebuilt.join(' | ')}`);

    await timed('up', async () => {
      // README's `docker compose up --build`, detached; the image is in the build cache by now.
      await compose(['up', '-d', '--build'], { quiet: true });
      const api = (await containerIds('api'))[0];
      await until('the api healthy', 180_000, async () => (await docker(['inspect', '-f', '{{.State.Health.Status}}', api], { quiet: true })).stdout.trim() === 'healthy');
    });
    const ps = (await compose(['ps'], { quiet: true })).stdout;
    console.log(ps);
    const migrate = JSON.parse((await docker(['inspect', '-f', '{{json .State}}', (await compose(['ps', '-a', '-q', 'migrate'], { quiet: true })).stdout.trim()], { quiet: true })).stdout);
    const api = (await containerIds('api'))[0];
    const apiState = JSON.parse((await docker(['inspect', '-f', '{{json .State}}', api], { quiet: true })).stdout);
    check(
      'migrate exited 0 before the api started (depends_on: service_completed_successfully)',
      migrate.ExitCode === 0 && migrate.Status === 'exited' && Date.parse(migrate.FinishedAt) <= Date.parse(apiState.StartedAt),
      `migrate ${JSON.stringify(migrate)}, api started ${apiState.StartedAt}`,
    );
    const hostConfig = JSON.parse((await docker(['inspect', '-f', '{{json .HostConfig}}', api], { quiet: true })).stdout);
    check('the api runs with a read-only root filesystem', hostConfig.ReadonlyRootfs === true);
    check('the api is published on 127.0.0.1 only', Object.values(hostConfig.PortBindings).flat().every((binding) => binding.HostIp === '127.0.0.1'), JSON.stringify(hostConfig.PortBindings));

    const run = Date.now().toString(36);
    await timed('journey', async () => {
      await journey(run);
      await cliCheck();
      await twoWorkers(run);
      await stopsGracefully('the api (compose, init: true)', api);
      for (const [index, id] of (await containerIds('worker')).entries()) await stopsGracefully(`worker ${index + 1}`, id);
      await pidOne();
    });
  } catch (error) {
    check('the tier ran to its end', false, error.message);
    const logs = await compose(['logs', '--tail', '40'], { allowFailure: true, quiet: true });
    console.log(logs.stdout.slice(-8000));
  } finally {
    await timed('down', () => compose(['down', '-v', '--remove-orphans'], { allowFailure: true, quiet: true }));
    await sh('bash', [`${HERE}/engine.sh`, 'stop'], { allowFailure: true });
    timings.total = Math.round((performance.now() - total) / 100) / 10;
  }
  console.log('\n== timings (s)');
  for (const [name, seconds] of Object.entries(timings)) console.log(`${name.padEnd(24)} ${String(seconds).padStart(7)}`);
  console.log('\n== sizes');
  for (const [name, size] of Object.entries(sizes)) console.log(`${name.padEnd(32)} ${size}`);
  const results = path.join(ROOT, '.tmp/test-results');
  mkdirSync(results, { recursive: true });
  writeFileSync(path.join(results, 'containers.json'), JSON.stringify({ passed, failed, timings, sizes }, null, 2));
  console.log(`\n${passed} passed, ${failed} failed`);
  process.exitCode = failed ? 1 : 0;
}

await main().catch((error) => {
  console.error(`test:containers: ${error.message}`);
  process.exitCode = 1;
});
