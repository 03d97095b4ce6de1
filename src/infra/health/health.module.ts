import { DynamicModule, Module, ModuleMetadata, Type } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { DatabaseIndicator } from './database.indicator';
import { HealthController } from './health.controller';
import { READINESS_INDICATORS, ReadinessIndicator } from './readiness-indicator';
import { RedisIndicator } from './redis.indicator';

/** What every process depends on, and so what readiness always reports. */
const BUILT_IN = [DatabaseIndicator, RedisIndicator];

export interface HealthOptions {
  /** The modules that provide the extra indicators. */
  imports?: ModuleMetadata['imports'];
  /** More dependencies to report (a feature's: the search engine, say), each a ReadinessIndicator. */
  indicators?: Array<Type<ReadinessIndicator>>;
}

/**
 * Liveness and readiness. To report another dependency, write a class implementing
 * ReadinessIndicator beside the code that uses it and name it in `HealthModule.forRoot` (the
 * application module does): the probe then runs it, bounded in time, and shows its state under
 * its key. Infra thus knows no feature.
 */
@Module({})
export class HealthModule {
  static forRoot({ imports = [], indicators = [] }: HealthOptions = {}): DynamicModule {
    const all = [...BUILT_IN, ...indicators];
    return {
      module: HealthModule,
      imports: [TerminusModule, ...imports],
      controllers: [HealthController],
      providers: [
        ...all,
        {
          provide: READINESS_INDICATORS,
          inject: all,
          useFactory: (...found: ReadinessIndicator[]) => found,
        },
      ],
    };
  }
}
