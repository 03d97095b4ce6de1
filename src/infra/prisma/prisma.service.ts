import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import type { Environment } from '@/config/environment';
import { PrismaClient } from '@/generated/prisma/client';

/**
 * Prisma's adapter over a pg pool with bounded waits: a connection attempt, a statement and an idle
 * transaction all time out instead of hanging a request. Every database a process reads or writes
 * (the primary, each read replica) is reached through one of these. `label` starts the warnings.
 */
export function boundedDatabaseAdapter(
  connectionString: string,
  config: ConfigService<Environment, true>,
  logger: Logger,
  label: string,
): { pool: pg.Pool; adapter: PrismaPg } {
  const statementTimeout = config.get('DATABASE_STATEMENT_TIMEOUT_MS', { infer: true });
  const pool = new pg.Pool({
    connectionString,
    max: config.get('DATABASE_POOL_MAX', { infer: true }),
    // Bounds both opening a connection and waiting for a free one in the pool.
    connectionTimeoutMillis: config.get('DATABASE_POOL_TIMEOUT_MS', { infer: true }),
    idleTimeoutMillis: 30_000,
    statement_timeout: statementTimeout,
    idle_in_transaction_session_timeout: statementTimeout,
  });
  const adapter = new PrismaPg(pool, {
    disposeExternalPool: true,
    // Without these listeners a database restart would crash the process.
    onPoolError: (error) => logger.warn(`${label} pool error: ${error.message}`),
    onConnectionError: (error) => logger.warn(`${label} connection error: ${error.message}`),
  });
  return { pool, adapter };
}

/** The one Prisma client of a process over the primary (see boundedDatabaseAdapter). */
@Injectable()
export class PrismaService extends PrismaClient implements OnModuleDestroy {
  private static readonly logger = new Logger('Prisma');
  /** The pg pool under Prisma, held here so that its usage can be reported (metrics). */
  readonly pool: pg.Pool;

  constructor(config: ConfigService<Environment, true>) {
    const { pool, adapter } = boundedDatabaseAdapter(config.get('DATABASE_URL', { infer: true }), config, PrismaService.logger, 'PostgreSQL');
    super({ adapter });
    this.pool = pool;
  }

  async onModuleDestroy(): Promise<void> {
    await this.$disconnect();
  }
}
