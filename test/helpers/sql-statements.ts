import pg from 'pg';

/**
 * Counts the SQL statements the application sends. Prisma's `$on('query')` does not fire with
 * driver adapters, so the count is taken one level down: every statement Prisma sends goes through
 * `pg.Client.prototype.query` of the `pg` package that `@prisma/adapter-pg` drives (pooled clients
 * included), which `install` wraps. Only statements sent while `record` runs are kept.
 */
export class SqlStatements {
  private readonly prototype = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  private original?: (...args: unknown[]) => unknown;
  private recorded?: string[];

  install(): this {
    if (this.original) return this;
    const original = this.prototype.query;
    this.original = original;
    const keep = (sql: string): void => void this.recorded?.push(sql);
    // A function, not an arrow: pg calls it with the client as `this`.
    this.prototype.query = function (this: unknown, ...args: unknown[]): unknown {
      keep(sqlOf(args[0]));
      return original.apply(this, args);
    };
    return this;
  }

  uninstall(): void {
    if (this.original) this.prototype.query = this.original;
    this.original = undefined;
  }

  /** The result of `run` and the statements sent while it ran. */
  async record<T>(run: () => Promise<T>): Promise<{ result: T; statements: string[] }> {
    if (!this.original) throw new Error('SqlStatements: install() before record()');
    if (this.recorded) throw new Error('SqlStatements: recordings do not nest');
    this.recorded = [];
    try {
      const result = await run();
      return { result, statements: this.recorded };
    } finally {
      this.recorded = undefined;
    }
  }
}

function sqlOf(config: unknown): string {
  if (typeof config === 'string') return config;
  return String((config as { text?: unknown } | null)?.text ?? config);
}
