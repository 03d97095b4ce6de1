import { dailyLogIndex, toRequestLogEntry } from './request-log.sink';

describe('request log entries', () => {
  it('go to one index a day (UTC)', () => {
    expect(dailyLogIndex('conduit-logs', new Date('2026-12-06T23:59:59Z'))).toBe('conduit-logs-2026.12.06');
    expect(dailyLogIndex('conduit-logs', new Date('2026-12-07T00:00:00Z'))).toBe('conduit-logs-2026.12.07');
  });

  it('hold the request’s outline, never its query string or credentials', () => {
    const entry = toRequestLogEntry(
      { method: 'GET', originalUrl: '/api/search/articles?q=secret', headers: { authorization: 'Token abc', 'x-request-id': 'r1', 'user-agent': 'jest' }, ip: '127.0.0.1' },
      200,
      12.345,
      new Date('2026-12-06T10:00:00Z'),
    );
    expect(entry).toEqual({
      '@timestamp': '2026-12-06T10:00:00.000Z',
      method: 'GET',
      path: '/api/search/articles',
      status: 200,
      durationMs: 12.3,
      requestId: 'r1',
      userAgent: 'jest',
      ip: '127.0.0.1',
    });
  });
});
