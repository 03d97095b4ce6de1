import { Injectable, PipeTransform } from '@nestjs/common';
import { InvalidError } from '@/common/errors/domain-error';
import { CommentNotFound } from './comments.errors';

const MAX_ID = 2_147_483_647;

/** A comment id from the path: not a whole number is a 422; beyond any id that can exist is a 404. */
@Injectable()
export class CommentIdPipe implements PipeTransform<string, number> {
  transform(value: string): number {
    if (!/^\d+$/.test(value)) throw new InvalidError('id', 'must be an integer');
    const id = Number(value);
    if (id < 1 || id > MAX_ID) throw new CommentNotFound();
    return id;
  }
}
