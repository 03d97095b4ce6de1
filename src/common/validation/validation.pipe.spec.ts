import { UnprocessableEntityException } from '@nestjs/common';
import { NewArticleRequestDto, UpdateArticleRequestDto } from '@/modules/articles/dto/article-requests.dto';
import { NewUserRequestDto, UpdateUserRequestDto } from '@/modules/users/dto/user-requests.dto';
import { ListArticlesQueryDto } from '@/modules/articles/dto/article-requests.dto';
import { createValidationPipe } from './validation.pipe';

const pipe = createValidationPipe();

async function validate(type: new () => object, value: unknown, where: 'body' | 'query' = 'body'): Promise<unknown> {
  return pipe.transform(value, { type: where, metatype: type });
}

async function errorsOf(type: new () => object, value: unknown, where: 'body' | 'query' = 'body'): Promise<unknown> {
  try {
    await validate(type, value, where);
  } catch (error) {
    expect(error).toBeInstanceOf(UnprocessableEntityException);
    return (error as UnprocessableEntityException).getResponse();
  }
  throw new Error('expected a validation error');
}

describe('validation pipe', () => {
  it('reports each blank field of a new user under its own key', async () => {
    await expect(errorsOf(NewUserRequestDto, { user: { email: 'not-an-email', username: '  ' } })).resolves.toEqual({
      errors: { email: ['is invalid'], username: ["can't be blank"], password: ["can't be blank"] },
    });
  });

  it('refuses a missing or non-object envelope', async () => {
    await expect(errorsOf(NewArticleRequestDto, {})).resolves.toEqual({ errors: { article: ["can't be blank"] } });
    await expect(errorsOf(NewArticleRequestDto, { article: 'text' })).resolves.toEqual({ errors: { article: ['must be an object'] } });
  });

  it('validates the inner object of the envelope, including each tag', async () => {
    await expect(
      errorsOf(NewArticleRequestDto, { article: { title: 'T', description: 'D', body: 'B', tagList: ['ok', 3] } }),
    ).resolves.toEqual({ errors: { tagList: ['must be a string'] } });
  });

  it('strips unknown fields so they cannot reach the database', async () => {
    const result = (await validate(NewArticleRequestDto, {
      article: { title: ' T ', description: 'D', body: 'B', id: 99, favoritesCount: 1000, authorId: 1 },
      admin: true,
    })) as NewArticleRequestDto;
    expect(result.article).toEqual({ title: 'T', description: 'D', body: 'B' });
    expect(result).not.toHaveProperty('admin');
  });

  it('normalises emails and lets null clear bio and image', async () => {
    const result = (await validate(UpdateUserRequestDto, { user: { email: ' Jake@Example.COM ', bio: null, image: null } })) as UpdateUserRequestDto;
    expect(result.user).toEqual({ email: 'jake@example.com', bio: null, image: null });
  });

  it('refuses a title that is not a string', async () => {
    await expect(errorsOf(UpdateArticleRequestDto, { article: { title: 42 } })).resolves.toEqual({ errors: { title: ['must be a string'] } });
  });

  it('keys invalid paging by the parameter', async () => {
    await expect(errorsOf(ListArticlesQueryDto, { limit: '0', offset: '-1' }, 'query')).resolves.toEqual({
      errors: { limit: ['must be greater than or equal to 1'], offset: ['must be greater than or equal to 0'] },
    });
    await expect(errorsOf(ListArticlesQueryDto, { limit: '2.5' }, 'query')).resolves.toEqual({ errors: { limit: ['must be an integer'] } });
    await expect(errorsOf(ListArticlesQueryDto, { tag: ['a', 'b'] }, 'query')).resolves.toEqual({ errors: { tag: ['must be a string'] } });
  });
});
