import { LocalEntries } from './local-entries';

const entry = (value: string) => ({ value, versions: {} });

describe('LocalEntries', () => {
  it('keeps the serialised size of its copies within its byte budget, dropping the least recently used', () => {
    const local = new LocalEntries(Number.POSITIVE_INFINITY, 1_000);
    local.set('a', entry('a'), [], 400);
    local.set('b', entry('b'), [], 400);
    local.get('a');
    local.set('c', entry('c'), [], 400);

    expect(local.bytes).toBe(800);
    expect(local.get('b')).toBeUndefined();
    expect(local.get('a')?.value).toBe('a');
    expect(local.get('c')?.value).toBe('c');
  });

  it('does not keep an entry larger than the whole budget, and frees what it drops', () => {
    const local = new LocalEntries(Number.POSITIVE_INFINITY, 1_000);
    local.set('a', entry('a'), ['t'], 300);
    local.set('huge', entry('h'), [], 5_000);
    expect(local.get('huge')).toBeUndefined();
    expect(local.bytes).toBe(300);

    local.dropTagged(['t']);
    expect(local.bytes).toBe(0);
    expect(local.size).toBe(0);
  });
});
