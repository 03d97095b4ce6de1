import { Injectable } from "@nestjs/common";
import { HealthIndicatorService } from "@nestjs/terminus";
import { PrismaService } from "@/infra/prisma/prisma.service";
import { ReadReplicas } from "@/infra/prisma/read-replicas";
import type { ReadinessIndicator } from "./readiness-indicator";

/**
 * PostgreSQL answers a query: without it the api cannot serve anything. With read replicas, their
 * state as of their last check (and the WAL position each was seen to have replayed) is reported beside it; they never make the api unready (the
 * primary serves whatever they cannot).
 */
@Injectable()
export class DatabaseIndicator implements ReadinessIndicator {
  readonly key = "database";
  readonly required = true;

  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly prisma: PrismaService,
    private readonly replicas: ReadReplicas,
  ) {}

  async check() {
    const indicator = this.indicators.check(this.key);
    const replicas: Record<string, unknown> = this.replicas.configured
      ? {
          replicas: this.replicas
            .states()
            .map(({ name, healthy, lagMs, replayed, reason }) => ({
              name,
              healthy,
              lagMs,
              replayed,
              reason,
            })),
        }
      : {};
    try {
      await this.prisma.$queryRaw`SELECT 1`;
      return indicator.up(replicas);
    } catch (error) {
      return indicator.down({ message: (error as Error).message, ...replicas });
    }
  }
}
