import { defineJobs } from '@/infra/queue/job-handler';
import { QUEUES } from '@/infra/queue/queues';

/** Every job of the `media` queue. */
export interface MediaJobs {
  /** From the outbox event written with the upload. */
  'process-upload': { uploadId: string };
}

export const MEDIA_JOBS = defineJobs<MediaJobs>(QUEUES.media, { 'process-upload': true });

/** The uploads' job on the `scheduled` queue. */
export interface MediaScheduledJobs {
  /** Repeatable: deletes processed originals and images no user or article uses. */
  'media-gc': Record<string, never>;
}

export const MEDIA_SCHEDULED_JOBS = defineJobs<MediaScheduledJobs>(QUEUES.scheduled, { 'media-gc': true });
