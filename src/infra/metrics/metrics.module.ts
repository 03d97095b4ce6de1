import { Global, Module } from '@nestjs/common';
import { JobObserver } from '@/infra/queue/queue-runtime';
import { Metrics } from './metrics.service';

@Global()
@Module({
  providers: [Metrics, { provide: JobObserver, useExisting: Metrics }],
  exports: [Metrics, JobObserver],
})
export class MetricsModule {}
