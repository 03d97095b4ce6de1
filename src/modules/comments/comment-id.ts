import { InvalidError } from '@/common/errors/domain-error';
import { CommentNotFound } from './comments.errors';

const MAX_ID = 2_147_483_647;

/**
 * A comment id from the path, read strictly as decimal digits: `0x1f`, `31e0` or `+31` must not
 * reach comment 31. Not a whole number is a 422; beyond any id that can exist is a 404. (Typed as
 * a string in the controller, so that the global pipe's number conversion never sees it.)
 */
export function parseCommentId(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidError('id', 'must be an integer');
  const id = Number(value);
  if (id < 1 || id > MAX_ID) throw new CommentNotFound();
  return id;
}
