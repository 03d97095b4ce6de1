import { Controller, Get, HttpStatus, Res, ServiceUnavailableException } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckResult, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import type { Response } from 'express';
import { PrismaService } from '@/infra/prisma/prisma.service';
import { RedisPubSub } from '@/infra/redis/redis.module';

/** Readiness must answer fast even when a dependency hangs. */
const PROBE_TIMEOUT_MS = 1_000;

/**
 * Liveness (the process answers) and readiness (PostgreSQL answers; Redis is reported but does
 * not make the api unready, since it serves without its cache).
 */
@ApiTags('Health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly prisma: PrismaService,
    private readonly redis: RedisPubSub,
  ) {}

  /** The process is up and its event loop answers. */
  @Get('live')
  @ApiOperation({ summary: 'Liveness' })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** 200 when PostgreSQL answers, 503 otherwise; Redis's state is reported alongside. */
  @Get('ready')
  @HealthCheck()
  @ApiOperation({ summary: 'Readiness' })
  async ready(@Res({ passthrough: true }) response: Response): Promise<HealthCheckResult> {
    try {
      return await this.health.check([() => this.database(), () => this.cacheAndQueues()]);
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      response.status(HttpStatus.SERVICE_UNAVAILABLE);
      return error.getResponse() as HealthCheckResult;
    }
  }

  private async database() {
    const indicator = this.indicators.check('database');
    try {
      await withTimeout(this.prisma.$queryRaw`SELECT 1`);
      return indicator.up();
    } catch (error) {
      return indicator.down({ message: (error as Error).message });
    }
  }

  private async cacheAndQueues() {
    const indicator = this.indicators.check('redis');
    const reachable = await withTimeout(this.redis.ping()).then(
      () => true,
      () => false,
    );
    return indicator.up({ reachable });
  }
}

async function withTimeout<T>(promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)), PROBE_TIMEOUT_MS);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
