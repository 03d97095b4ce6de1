#!/usr/bin/env node
// CI's dependency audit: `npm audit` against the registry's advisory database.
//
//   node scripts/npm-audit.mjs
//
// Lists every advisory of the installed tree (runtime and development dependencies), and fails
// (exit 1) when a runtime dependency (what the Docker image ships, `--omit=dev`) has a `high` or
// `critical` one: those reach production. Moderate and low ones, and advisories of development
// tools (test runners, linters, the CLI), are reported without failing the build.
// When the audit endpoint does not answer (offline, or a registry mirror without it), one line
// says so and the step passes: the audit is advisory information, not a reason to block CI.
import { spawnSync } from 'node:child_process';

const FAILING = new Set(['high', 'critical']);
const SEVERITIES = ['critical', 'high', 'moderate', 'low', 'info'];

/** `npm audit --json` with the given arguments: the parsed report, or the reason there is none. */
function audit(args) {
  const run = spawnSync('npm', ['audit', '--json', ...args], { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
  if (run.error) return { unavailable: run.error.message };
  let report;
  try {
    report = JSON.parse(run.stdout);
  } catch {
    return { unavailable: firstLine(run.stderr) || `npm audit exited with ${run.status} and printed no report` };
  }
  // A failed request prints its HTTP error as the JSON ({ message, statusCode, ... }).
  if (report.error || !report.metadata) return { unavailable: firstLine(report.message ?? report.error?.summary ?? run.stderr) || 'no report' };
  return { report };
}

function firstLine(text) {
  return String(text ?? '').split('\n').map((line) => line.replace(/^npm (warn|error)\s*/, '').trim()).find(Boolean) ?? '';
}

function titles(entry) {
  return entry.via.map((via) => (typeof via === 'string' ? `via ${via}` : `${via.title} (${via.url})`)).join('; ');
}

const all = audit([]);
if (all.unavailable) {
  console.log(`npm audit: the registry's audit endpoint did not answer (${all.unavailable}); skipped`);
  process.exit(0);
}
const counts = all.report.metadata.vulnerabilities;
console.log(`npm audit: ${SEVERITIES.map((severity) => `${counts[severity] ?? 0} ${severity}`).join(', ')} (all dependencies)`);
const entries = Object.values(all.report.vulnerabilities ?? {}).sort((a, b) => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity));
for (const entry of entries) {
  const fix = entry.fixAvailable === true ? 'fix: npm audit fix' : entry.fixAvailable ? `fix: ${entry.fixAvailable.name}@${entry.fixAvailable.version}` : 'no fix yet';
  console.log(`  ${entry.severity.padEnd(8)} ${entry.name} ${entry.range}: ${titles(entry)} [${fix}]`);
}

const runtime = audit(['--omit=dev']);
if (runtime.unavailable) {
  console.log(`npm audit: the audit of runtime dependencies did not answer (${runtime.unavailable}); skipped`);
  process.exit(0);
}
const blocking = Object.values(runtime.report.vulnerabilities ?? {}).filter((entry) => FAILING.has(entry.severity));
if (blocking.length > 0) {
  console.log(`npm audit: ${blocking.length} runtime ${blocking.length === 1 ? 'dependency has' : 'dependencies have'} high or critical advisories: ${blocking.map((entry) => entry.name).join(', ')}`);
  process.exit(1);
}
console.log('npm audit: no high or critical advisory in runtime dependencies');
