import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as yaml from 'js-yaml';

// No Docker engine runs here, so the Dockerfile and docker-compose.yml are checked statically by
// scripts/check-docker.mjs (`npm run check:docker`). These tests run it on the real files, and on
// broken copies to prove that it does catch mistakes.

const root = path.resolve(__dirname, '../..');
const script = path.join(root, 'scripts/check-docker.mjs');

interface CheckResult {
  status: number;
  output: string;
}

function runCheck(...args: string[]): CheckResult {
  return spawnCheck(root, ...args);
}

/** Runs the check on the repository at `repoRoot` (a changed copy, for instance). */
function spawnCheck(repoRoot: string, ...args: string[]): CheckResult {
  try {
    const output = execFileSync(process.execPath, [script, '--root', repoRoot, ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return { status: 0, output };
  } catch (error) {
    const failed = error as { status: number | null; stdout?: string; stderr?: string };
    return { status: failed.status ?? -1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

interface ComposeFile {
  services: Record<string, { depends_on?: Record<string, { condition: string }> }>;
  [key: string]: unknown;
}

describe('scripts/check-docker.mjs', () => {
  let dir: string;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'check-docker-'));
  });

  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Writes a changed copy of the real compose file and returns its path. */
  function composeVariant(name: string, change: (compose: ComposeFile) => void): string {
    const compose = yaml.load(fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8')) as ComposeFile;
    change(compose);
    const file = path.join(dir, `${name}.yml`);
    fs.writeFileSync(file, yaml.dump(compose));
    return file;
  }

  it('passes on the repository’s Dockerfile, .dockerignore and docker-compose.yml', () => {
    const result = runCheck();

    expect(result.output).not.toMatch(/^FAIL/m);
    expect(result.output).toMatch(/^ok +Dockerfile: `cli` runs the command line/m);
    expect(result.output).toContain('check-docker passed');
    expect(result.status).toBe(0);
  });

  it('fails when a service depends on a service that does not exist', () => {
    const file = composeVariant('missing-dependency', (compose) => {
      compose.services.api.depends_on = {
        ...compose.services.api.depends_on,
        search: { condition: 'service_healthy' },
      };
    });

    const result = runCheck('--compose', file);

    expect(result.output).toMatch(/^FAIL .*depends_on: api depends on search, which is not a service$/m);
    expect(result.status).toBe(1);
  });

  it('fails on a top-level key the Compose Specification does not know', () => {
    const file = composeVariant('unknown-key', (compose) => {
      compose.servics = {};
    });

    const result = runCheck('--compose', file);

    expect(result.output).toMatch(/^FAIL .*Compose Specification: .*additional properties: servics$/m);
    expect(result.status).toBe(1);
  });

  it('fails when the Dockerfile copies from a stage that does not exist', () => {
    const original = fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8');
    const broken = original.replace('COPY --from=build ', 'COPY --from=compile ');
    expect(broken).not.toBe(original);
    const file = path.join(dir, 'Dockerfile');
    fs.writeFileSync(file, broken);

    const result = runCheck('--dockerfile', file);

    expect(result.output).toMatch(/^FAIL .*COPY --from=compile does not name an earlier stage$/m);
    expect(result.status).toBe(1);
  });

  it('fails when the image has no `cli` command, or its script runs a file the build does not produce', () => {
    const original = fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8');
    const withoutCli = original.replace(/^COPY --chmod=755 docker\/cli \/usr\/local\/bin\/cli\n/m, '');
    expect(withoutCli).not.toBe(original);
    const file = path.join(dir, 'Dockerfile.no-cli');
    fs.writeFileSync(file, withoutCli);

    const missing = runCheck('--dockerfile', file);

    expect(missing.output).toMatch(/^FAIL .*`cli` runs the command line.*: the runtime image has no `cli` on the PATH/m);
    expect(missing.status).toBe(1);

    const copy = path.join(dir, 'repo-with-broken-cli');
    for (const entry of ['package.json', 'package-lock.json', '.env.example', '.dockerignore', 'Dockerfile', 'docker-compose.yml', 'nest-cli.json', 'tsconfig.json', 'tsconfig.build.json', 'prisma.config.ts', 'src', 'prisma', 'scripts', 'docker']) {
      fs.cpSync(path.join(root, entry), path.join(copy, entry), { recursive: true });
    }
    fs.writeFileSync(path.join(copy, 'docker/cli'), '#!/bin/sh\nexec node /app/dist/src/command-line.js "$@"\n', { mode: 0o755 });

    const broken = spawnCheck(copy);

    expect(broken.output).toMatch(/^FAIL .*docker\/cli: dist\/src\/command-line.js would be compiled from src\/command-line.ts, which does not exist/m);
    expect(broken.status).toBe(1);
  });
});
