import { existsSync } from 'node:fs';

/**
 * Reads `.env` (if present) into `process.env`, where a variable the environment already sets
 * wins, and removes every empty variable: `FOO=` in `.env` or `FOO=''` in a container's
 * environment means "not set", so the default applies. Removing them from `process.env` itself,
 * not only from what is validated, matters: ConfigService falls back to `process.env` for a
 * setting that validation left undefined, and libraries read their own variables there.
 * scripts/prisma-migrate.mjs does the same for the migrations (it runs before any build).
 */
export function loadEnvFile(file = '.env'): void {
  removeEmptyVariables();
  if (existsSync(file)) process.loadEnvFile(file);
  removeEmptyVariables();
}

function removeEmptyVariables(): void {
  for (const [name, value] of Object.entries(process.env)) if (value === '') delete process.env[name];
}
