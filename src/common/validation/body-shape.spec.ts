import { bodyShapeViolation, rawBodyShapeViolation } from './body-shape';

const limits = { maxKeys: 10, maxDepth: 3, maxArrayLength: 4 };

describe('bodyShapeViolation', () => {
  it('accepts bodies within every limit', () => {
    expect(bodyShapeViolation({ article: { title: 't', tagList: ['a', 'b'] } }, limits)).toBeUndefined();
    expect(bodyShapeViolation(undefined, limits)).toBeUndefined();
    expect(bodyShapeViolation('text', limits)).toBeUndefined();
  });

  it('counts object members and array elements together', () => {
    expect(bodyShapeViolation({ a: [1, 2, 3, 4], b: { c: 1, d: 2, e: 3 } }, limits)).toBeUndefined();
    expect(bodyShapeViolation({ a: [1, 2, 3, 4], b: { c: 1, d: 2, e: 3, f: 4, g: 5 } }, limits)).toBe('keys');
  });

  it('refuses an array longer than the limit', () => {
    expect(bodyShapeViolation({ list: [1, 2, 3, 4, 5] }, limits)).toBe('array');
  });

  it('refuses nesting deeper than the limit without recursing', () => {
    expect(bodyShapeViolation({ a: { b: { c: 1 } } }, limits)).toBeUndefined();
    expect(bodyShapeViolation({ a: { b: { c: {} } } }, limits)).toBe('depth');
    let deep: unknown = 1;
    for (let level = 0; level < 100_000; level += 1) deep = { a: deep };
    expect(bodyShapeViolation(deep, { ...limits, maxKeys: 1_000_000 })).toBe('depth');
  });
});

describe('rawBodyShapeViolation', () => {
  const scan = (text: string, custom = limits) => rawBodyShapeViolation(Buffer.from(text), custom);

  it('agrees with the parsed check on bodies within and beyond each limit', () => {
    const bodies = [
      '{"article": {"title": "t", "tagList": ["a", "b"]}}',
      '{"a": [1, 2, 3, 4], "b": {"c": 1, "d": 2, "e": 3}}',
      '{"a": [1, 2, 3, 4], "b": {"c": 1, "d": 2, "e": 3, "f": 4, "g": 5}}',
      '{"list": [1, 2, 3, 4, 5]}',
      '{"list": [{}, {}, [], {"x": []}]}',
      '{"a": {"b": {"c": 1}}}',
      '{"a": {"b": {"c": {}}}}',
      '[[[]]]',
      '[]',
      '"text"',
    ];
    for (const body of bodies) expect([body, scan(body)]).toEqual([body, bodyShapeViolation(JSON.parse(body), limits)]);
  });

  it('ignores structural characters inside strings, escaped quotes included', () => {
    expect(scan('{"body": "a, b: c, [d], {e}, \\"f, g: h\\", ,,,,,,,,,,,,:::::::::::"}')).toBeUndefined();
  });

  it('refuses deep nesting at the limit without reading further', () => {
    expect(scan(`${'['.repeat(100_000)}`)).toBe('depth');
  });

  it('counts multi-byte text as text', () => {
    expect(scan(JSON.stringify({ body: 'é, ü: 漢字, 🙂'.repeat(100) }))).toBeUndefined();
  });
});
