// The image's HEALTHCHECK: the api is healthy when GET /health/ready on $PORT answers 2xx.
// The same image runs the worker and one-shot commands, which serve no HTTP: when no api process
// (dist/src/main.js) runs in the container, the check passes. The slim image has no curl.
import { readdirSync, readFileSync } from 'node:fs';

function commandLine(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

const apiRuns = readdirSync('/proc').some((pid) => /^\d+$/.test(pid) && commandLine(pid).includes('dist/src/main.js'));
if (!apiRuns) process.exit(0);
fetch(`http://127.0.0.1:${process.env.PORT || 3000}/health/ready`, { signal: AbortSignal.timeout(4_000) }).then(
  (response) => process.exit(response.ok ? 0 : 1),
  () => process.exit(1),
);
