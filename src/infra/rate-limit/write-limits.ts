import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { DomainError } from '@/common/errors/domain-error';
import type { Environment } from '@/config/environment';
import { RedisThrottlerStorage } from './redis-throttler.storage';

const HOUR_MS = 3_600_000;

/** What one user may write per hour, far above what a person writes by hand. */
export type WriteKind = 'comments' | 'articles' | 'tags';

export class TooManyWrites extends DomainError {
  readonly status = 429;
  constructor(
    kind: WriteKind,
    perHour: number,
    readonly retryAfterSeconds: number,
  ) {
    super(kind === 'tags' ? 'tagList' : kind === 'articles' ? 'article' : 'comment', `limit of ${perHour} new ${kind} per hour reached, retry in ${retryAfterSeconds} s`);
  }

  override get headers(): Record<string, string> {
    return { 'Retry-After': String(this.retryAfterSeconds) };
  }
}

/**
 * Per-user write limits (COMMENTS_PER_HOUR, ARTICLES_PER_HOUR, NEW_TAGS_PER_HOUR), counted in Redis
 * like the request limits and on or off with them (RATE_LIMIT_ENABLED). They bound what one account
 * can add to lists that every reader loads (an article's comments, the tag list).
 */
@Injectable()
export class WriteLimits {
  private readonly perHour: Record<WriteKind, number>;

  constructor(
    private readonly storage: RedisThrottlerStorage,
    @Inject(ConfigService) config: ConfigService<Environment, true>,
  ) {
    this.perHour = {
      comments: config.get('COMMENTS_PER_HOUR', { infer: true }),
      articles: config.get('ARTICLES_PER_HOUR', { infer: true }),
      tags: config.get('NEW_TAGS_PER_HOUR', { infer: true }),
    };
  }

  /** Counts `amount` writes of `kind` by `userId`, or throws TooManyWrites (nothing counted) past the limit. */
  async take(kind: WriteKind, userId: number, amount = 1): Promise<void> {
    if (amount <= 0) return;
    const { granted, retryAfterSeconds } = await this.storage.consume(`writes-${kind}`, `user:${userId}`, amount, this.perHour[kind], HOUR_MS);
    if (!granted) throw new TooManyWrites(kind, this.perHour[kind], retryAfterSeconds);
  }
}
