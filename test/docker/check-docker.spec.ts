import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

// scripts/check-docker.mjs checks what one run of the container tier cannot show (optional
// packages left out, install scripts skipped, Redis persistence). These tests run it on the real
// files, and on broken copies to prove that it catches each mistake.

const root = path.resolve(__dirname, '../..');
const script = path.join(root, 'scripts/check-docker.mjs');

function runCheck(repoRoot: string): { status: number; output: string } {
  try {
    return { status: 0, output: execFileSync(process.execPath, [script, '--root', repoRoot], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) };
  } catch (error) {
    const failed = error as { status: number | null; stdout?: string; stderr?: string };
    return { status: failed.status ?? -1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

describe('scripts/check-docker.mjs', () => {
  let dir: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'check-docker-'));
    for (const file of ['package-lock.json', 'Dockerfile', 'docker-compose.yml']) fs.copyFileSync(path.join(root, file), path.join(dir, file));
  });

  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  function changeLock(change: (packages: Record<string, Record<string, unknown>>) => void): void {
    const file = path.join(dir, 'package-lock.json');
    const lock = JSON.parse(fs.readFileSync(file, 'utf8')) as { packages: Record<string, Record<string, unknown>> };
    change(lock.packages);
    fs.writeFileSync(file, JSON.stringify(lock));
  }

  it('passes on the project files', () => {
    const result = runCheck(root);
    expect(result.output).toMatch(/check-docker: all passed/);
    expect(result.status).toBe(0);
  });

  it('fails when --omit=optional would leave out a production optional package nobody vouched for', () => {
    changeLock((packages) => (packages['node_modules/fancy-native-speedup'] = { version: '1.0.0', optional: true }));
    const result = runCheck(dir);
    expect(result.status).toBe(1);
    expect(result.output).toMatch(/fancy-native-speedup is a production optional dependency/);
  });

  it('fails when --ignore-scripts would skip an install script nobody vouched for', () => {
    changeLock((packages) => (packages['node_modules/needs-its-postinstall'] = { version: '1.0.0', hasInstallScript: true }));
    const result = runCheck(dir);
    expect(result.status).toBe(1);
    expect(result.output).toMatch(/needs-its-postinstall has an install script/);
  });

  it('fails when Redis could lose or evict BullMQ keys', () => {
    const file = path.join(dir, 'docker-compose.yml');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace("'--appendonly', 'yes', ", '').replace("'noeviction'", "'allkeys-lru'"));
    const result = runCheck(dir);
    expect(result.status).toBe(1);
    expect(result.output).toMatch(/--appendonly yes/);
    expect(result.output).toMatch(/noeviction/);
  });
});
