import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { PrismaService } from '@/infra/prisma/prisma.service';
import type { ReadinessIndicator } from './readiness-indicator';

/** PostgreSQL answers a query: without it the api cannot serve anything. */
@Injectable()
export class DatabaseIndicator implements ReadinessIndicator {
  readonly key = 'database';
  readonly required = true;

  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly prisma: PrismaService,
  ) {}

  async check() {
    const indicator = this.indicators.check(this.key);
    try {
      await this.prisma.$queryRaw`SELECT 1`;
      return indicator.up();
    } catch (error) {
      return indicator.down({ message: (error as Error).message });
    }
  }
}
