import { imageUrlProblem } from './public-url';

describe('imageUrlProblem', () => {
  it.each([
    'https://images.example.com/me.png',
    'http://cdn.example.org/a/b.jpg?size=256',
    'https://8.8.8.8/x.png',
    'https://[2001:db8::1]/x.png',
    'https://172.32.0.1/x.png',
  ])('accepts %s', (url) => {
    expect(imageUrlProblem(url)).toBeUndefined();
  });

  it.each([
    ['javascript:alert(1)', 'must be an http(s) URL or the id of an upload'],
    ['data:text/html,<script>alert(1)</script>', 'must be an http(s) URL or the id of an upload'],
    ['ftp://example.com/a.png', 'must be an http(s) URL or the id of an upload'],
    ['/relative/path.png', 'must be an http(s) URL or the id of an upload'],
    ['https://user:pass@example.com/a.png', 'must not contain credentials'],
    ['http://169.254.169.254/latest/meta-data/', 'must not point at a local, private or metadata address'],
    ['http://metadata.google.internal/computeMetadata/v1/', 'must not point at a local, private or metadata address'],
    ['http://100.100.100.200/latest/meta-data/', 'must not point at a local, private or metadata address'],
    ['http://[fd00:ec2::254]/latest/meta-data/', 'must not point at a local, private or metadata address'],
    ['http://[fe80::1]/', 'must not point at a local, private or metadata address'],
    ['http://[::ffff:127.0.0.1]/', 'must not point at a local, private or metadata address'],
    ['http://[::ffff:a9fe:a9fe]/', 'must not point at a local, private or metadata address'],
    ['http://2130706433/', 'must not point at a local, private or metadata address'],
    ['http://0x7f.1/', 'must not point at a local, private or metadata address'],
    ['http://LOCALHOST./', 'must not point at a local, private or metadata address'],
    ['http://api.localhost/', 'must not point at a local, private or metadata address'],
    ['http://10.1.2.3/', 'must not point at a local, private or metadata address'],
    ['http://192.168.0.1/', 'must not point at a local, private or metadata address'],
    ['http://172.16.0.1/', 'must not point at a local, private or metadata address'],
    ['http://0.0.0.0/', 'must not point at a local, private or metadata address'],
  ])('refuses %s', (url, problem) => {
    expect(imageUrlProblem(url)).toBe(problem);
  });
});
