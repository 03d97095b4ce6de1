import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { SearchCoreModule } from '@/modules/search/search-core.module';
import { SearchEngineIndicator } from '@/modules/search/search-engine.indicator';
import { DatabaseIndicator } from './database.indicator';
import { HealthController } from './health.controller';
import { READINESS_INDICATORS, ReadinessIndicator } from './readiness-indicator';
import { RedisIndicator } from './redis.indicator';

/**
 * Liveness and readiness. To report another dependency (the search engine, for one), write a
 * class implementing ReadinessIndicator and add it to INDICATORS: the probe then runs it, bounded
 * in time, and shows its state under its key.
 */
const INDICATORS = [DatabaseIndicator, RedisIndicator, SearchEngineIndicator];

@Module({
  imports: [TerminusModule, SearchCoreModule],
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
