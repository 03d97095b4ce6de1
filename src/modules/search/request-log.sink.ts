import { Injectable, Logger, NestMiddleware, OnModuleDestroy } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ElasticsearchService } from '@nestjs/elasticsearch';
import type { NextFunction, Request, Response } from 'express';
import type { Environment } from '@/config/environment';

export interface RequestLogEntry {
  '@timestamp': string;
  method: string;
  /** The path without its query string (which may carry search words or tokens). */
  path: string;
  status: number;
  durationMs: number;
  requestId?: string;
  userAgent?: string;
  ip?: string;
}

const FLUSH_EVERY_MS = 1_000;
const FLUSH_AT = 500;
/** Beyond this, entries are dropped rather than let memory grow while Elasticsearch is away. */
const BUFFER_MAX = 10_000;

/** The day's log index: `<prefix>-YYYY.MM.DD` (UTC), so old days can be dropped whole. */
export function dailyLogIndex(prefix: string, at: Date): string {
  const day = at.toISOString().slice(0, 10).replaceAll('-', '.');
  return `${prefix}-${day}`;
}

export function toRequestLogEntry(request: Pick<Request, 'method' | 'originalUrl' | 'headers' | 'ip'>, status: number, durationMs: number, at: Date): RequestLogEntry {
  const requestId = request.headers['x-request-id'];
  return {
    '@timestamp': at.toISOString(),
    method: request.method,
    path: request.originalUrl.split('?')[0],
    status,
    durationMs: Math.round(durationMs * 10) / 10,
    ...(typeof requestId === 'string' && { requestId }),
    ...(request.headers['user-agent'] && { userAgent: request.headers['user-agent'] }),
    ...(request.ip && { ip: request.ip }),
  };
}

/**
 * With LOG_ELASTICSEARCH=true, one structured entry per request (never its headers or body) goes
 * to the day's log index, in bulk every second. Logging never slows or fails a request: entries
 * are buffered, and a failed shipment is reported once and dropped.
 */
@Injectable()
export class ElasticsearchRequestLog implements NestMiddleware, OnModuleDestroy {
  private readonly logger = new Logger('ElasticsearchRequestLog');
  private readonly prefix: string;
  private buffer: RequestLogEntry[] = [];
  private timer?: NodeJS.Timeout;
  private failing = false;

  constructor(
    private readonly client: ElasticsearchService,
    config: ConfigService<Environment, true>,
  ) {
    this.prefix = config.get('LOG_ELASTICSEARCH_PREFIX', { infer: true });
  }

  use(request: Request, response: Response, next: NextFunction): void {
    const started = process.hrtime.bigint();
    response.on('finish', () => {
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      this.record(toRequestLogEntry(request, response.statusCode, durationMs, new Date()));
    });
    next();
  }

  async onModuleDestroy(): Promise<void> {
    clearTimeout(this.timer);
    await this.flush();
  }

  private record(entry: RequestLogEntry): void {
    if (this.buffer.length >= BUFFER_MAX) return;
    this.buffer.push(entry);
    if (this.buffer.length >= FLUSH_AT) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), FLUSH_EVERY_MS);
  }

  private async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.buffer.length === 0) return;
    const entries = this.buffer;
    this.buffer = [];
    try {
      const response = await this.client.bulk({
        operations: entries.flatMap((entry) => [{ create: { _index: dailyLogIndex(this.prefix, new Date(entry['@timestamp'])) } }, entry]),
      });
      if (response.errors) throw new Error('some entries were refused');
      if (this.failing) this.logger.log('Request logs reach Elasticsearch again');
      this.failing = false;
    } catch (error) {
      if (!this.failing) this.logger.warn(`Request logs not sent to Elasticsearch (dropped): ${(error as Error).message}`);
      this.failing = true;
    }
  }
}
