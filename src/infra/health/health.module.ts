import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { DatabaseIndicator } from './database.indicator';
import { HealthController } from './health.controller';
import { READINESS_INDICATORS, ReadinessIndicator } from './readiness-indicator';
import { RedisIndicator } from './redis.indicator';

/**
 * Liveness and readiness. To report another dependency (the search engine, for one), write a
 * class implementing ReadinessIndicator and add it to INDICATORS: the probe then runs it, bounded
 * in time, and shows its state under its key.
 */
const INDICATORS = [DatabaseIndicator, RedisIndicator];

@Module({
  imports: [TerminusModule],
  controllers: [HealthController],
  providers: [
    ...INDICATORS,
    {
      provide: READINESS_INDICATORS,
      inject: INDICATORS,
      useFactory: (...indicators: ReadinessIndicator[]) => indicators,
    },
  ],
})
export class HealthModule {}
