import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { PrismaPg } from '@prisma/adapter-pg';
import type { Environment } from '@/config/environment';
import { PrismaClient } from '@/generated/prisma/client';

/**
 * The one Prisma client of a process, over a pg pool with bounded waits: a connection attempt,
 * a statement and an idle transaction all time out instead of hanging a request.
 */
@Injectable()
export class PrismaService extends PrismaClient implements OnModuleDestroy {
  private static readonly logger = new Logger('Prisma');

  constructor(config: ConfigService<Environment, true>) {
    const statementTimeout = config.get('DATABASE_STATEMENT_TIMEOUT_MS', { infer: true });
    const adapter = new PrismaPg(
      {
        connectionString: config.get('DATABASE_URL', { infer: true }),
        max: config.get('DATABASE_POOL_MAX', { infer: true }),
        connectionTimeoutMillis: 5_000,
        idleTimeoutMillis: 30_000,
        statement_timeout: statementTimeout,
        idle_in_transaction_session_timeout: statementTimeout,
      },
      {
        // Without these listeners a PostgreSQL restart would crash the process.
        onPoolError: (error) => PrismaService.logger.warn(`PostgreSQL pool error: ${error.message}`),
        onConnectionError: (error) => PrismaService.logger.warn(`PostgreSQL connection error: ${error.message}`),
      },
    );
    super({ adapter });
  }

  async onModuleDestroy(): Promise<void> {
    await this.$disconnect();
  }
}
