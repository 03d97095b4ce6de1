import { Injectable } from '@nestjs/common';
import { TagsRepository } from './tags.repository';

@Injectable()
export class TagsService {
  constructor(private readonly tags: TagsRepository) {}

  async list(): Promise<{ tags: string[] }> {
    return { tags: await this.tags.namesInUse() };
  }

  idByName(name: string): Promise<number | undefined> {
    return this.tags.idByName(name);
  }

  ensure(names: string[]): Promise<number[]> {
    return this.tags.ensure(names);
  }
}
