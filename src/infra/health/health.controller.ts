import { Controller, Get, HttpStatus, Inject, Res, ServiceUnavailableException } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { HealthCheck, HealthCheckResult, HealthCheckService, HealthIndicatorResult } from '@nestjs/terminus';
import type { Response } from 'express';
import { READINESS_INDICATORS, ReadinessIndicator } from './readiness-indicator';

/** Readiness must answer fast even when a dependency hangs: each indicator gets this long. */
export const PROBE_TIMEOUT_MS = 1_000;

/** Liveness (the process answers) and readiness (every required dependency answers; the others are reported). */
@ApiTags('Health')
// Probes come often and from the orchestrator: never rate-limited.
@SkipThrottle({ default: true })
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    @Inject(READINESS_INDICATORS) private readonly indicators: ReadinessIndicator[],
  ) {}

  /** The process is up and its event loop answers. */
  @Get('live')
  @ApiOperation({ summary: 'Liveness' })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** 200 when PostgreSQL answers, 503 otherwise; the state of Redis (and any other reported dependency) alongside. */
  @Get('ready')
  @HealthCheck()
  @ApiOperation({ summary: 'Readiness' })
  async ready(@Res({ passthrough: true }) response: Response): Promise<HealthCheckResult> {
    try {
      return await this.health.check(this.indicators.map((indicator) => () => bounded(indicator)));
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      response.status(HttpStatus.SERVICE_UNAVAILABLE);
      return error.getResponse() as HealthCheckResult;
    }
  }
}

/**
 * The indicator's result, or after PROBE_TIMEOUT_MS a timeout: "down" for a required dependency
 * (the api is not ready), "up" with `reachable: false` for one the api serves without.
 */
async function bounded(indicator: ReadinessIndicator): Promise<HealthIndicatorResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<HealthIndicatorResult>((resolve) => {
    timer = setTimeout(() => {
      const message = `no answer within ${PROBE_TIMEOUT_MS} ms`;
      resolve({ [indicator.key]: indicator.required ? { status: 'down', message } : { status: 'up', reachable: false, message } });
    }, PROBE_TIMEOUT_MS);
  });
  try {
    return await Promise.race([indicator.check(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
