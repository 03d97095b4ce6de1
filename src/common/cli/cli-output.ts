/**
 * How commands talk to the operator: readable lines by default, one JSON document with `--json`
 * (for scripts), and failures as a single line on stderr with a non-zero exit code.
 */

/** A failure the operator can act on; its message is printed as is, without a stack trace. */
export class CliFailure extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export interface OutputOptions {
  json?: boolean;
}

/** Prints `data` as JSON with `--json`, else the human lines. */
export function report(options: OutputOptions, data: unknown, human: () => string[]): void {
  if (options.json) process.stdout.write(`${JSON.stringify(data, jsonValue, 2)}\n`);
  else process.stdout.write(`${human().join('\n')}\n`);
}

/** BigInts and dates as JSON strings. */
function jsonValue(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

/** Columns padded to their widest cell, for tables in the human output. */
export function table(rows: Array<Array<string | number>>): string[] {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => String(row[column]).length))) ?? [];
  return rows.map((row) =>
    row
      .map((cell, column) => (typeof cell === 'number' ? String(cell).padStart(widths[column]) : String(cell).padEnd(widths[column])))
      .join('  ')
      .trimEnd(),
  );
}

/** "3 min 12 s ago", for ages in the human output. */
export function age(since: Date, now = new Date()): string {
  const seconds = Math.max(0, Math.round((now.getTime() - since.getTime()) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${seconds % 60} s ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min ago`;
  return `${Math.floor(seconds / 86_400)} d ${Math.floor((seconds % 86_400) / 3600)} h ago`;
}

/** Option parsers for nest-commander's @Option: a whole number at least `min`. */
export function parseCount(name: string, min = 0): (value: string) => number {
  return (value: string) => {
    const parsed = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(parsed) || parsed < min) {
      throw new CliFailure(`${name} must be a whole number of at least ${min} (got "${value}")`, 2);
    }
    return parsed;
  };
}

/**
 * A progress bar on stderr while a terminal watches; otherwise (a pipe, a CI log) one line per
 * step, so that logs stay readable. Never on stdout, which `--json` keeps for the result.
 */
export class ProgressBar {
  private readonly tty = Boolean(process.stderr.isTTY);
  private lastStep?: string;
  private lastDrawn = 0;

  constructor(private readonly enabled = true) {}

  update(step: string, done: number, total: number): void {
    if (!this.enabled) return;
    const ratio = total === 0 ? 1 : Math.min(1, done / total);
    if (this.tty) {
      if (Date.now() - this.lastDrawn < 100 && ratio < 1) return;
      this.lastDrawn = Date.now();
      const width = 30;
      const filled = Math.round(ratio * width);
      const bar = `${'#'.repeat(filled)}${'.'.repeat(width - filled)}`;
      process.stderr.write(`\r[${bar}] ${String(Math.floor(ratio * 100)).padStart(3)}%  ${step.padEnd(14)}`);
      if (ratio === 1) process.stderr.write('\n');
    } else if (step !== this.lastStep) {
      process.stderr.write(`${step}...\n`);
    }
    this.lastStep = step;
  }
}
