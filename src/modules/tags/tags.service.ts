import { Injectable } from '@nestjs/common';
import { WriteLimits } from '@/infra/rate-limit/write-limits';
import { TagsRepository } from './tags.repository';

@Injectable()
export class TagsService {
  constructor(
    private readonly tags: TagsRepository,
    private readonly writeLimits: WriteLimits,
  ) {}

  async list(): Promise<{ tags: string[] }> {
    return { tags: await this.tags.namesInUse() };
  }

  idByName(name: string): Promise<number | undefined> {
    return this.tags.idByName(name);
  }

  /** The ids of `names`; the ones that do not exist yet count against `userId`'s limit of new tags. */
  async ensure(names: string[], userId: number): Promise<number[]> {
    await this.writeLimits.take('tags', userId, (await this.tags.missing(names)).length);
    return this.tags.ensure(names);
  }
}
