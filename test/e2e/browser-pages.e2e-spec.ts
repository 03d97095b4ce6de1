import { existsSync } from 'node:fs';
import { Browser, chromium, Page } from 'playwright-core';
import request from 'supertest';
import { ApiProcess, startApi, startThrowawayRedis, stopAll } from '../helpers/child-processes';
import { TestDatabase, unique } from '../helpers/worker';

/**
 * Swagger UI (/docs) and the queue dashboard (/admin/queues) in a real browser (Debian's
 * chromium, driven by playwright-core), under the Content-Security-Policy the api sends: each
 * page must render its content, with no CSP violation and no error in the console.
 */

jest.setTimeout(90_000);

const CHROMIUM = '/usr/bin/chromium';

interface PageProblems {
  violations: string[];
  consoleErrors: string[];
}

/** Records CSP violations (from the page's own event) and console errors of `page`. */
async function watch(page: Page): Promise<PageProblems> {
  const problems: PageProblems = { violations: [], consoleErrors: [] };
  await page.exposeFunction('reportViolation', (text: string) => problems.violations.push(text));
  // A string, so that this file needs no DOM typings: it runs in the page, before the page's own scripts.
  await page.addInitScript({
    content: `document.addEventListener('securitypolicyviolation', (event) =>
      window.reportViolation(event.violatedDirective + ' blocked ' + event.blockedURI));`,
  });
  page.on('console', (message) => {
    if (message.type() === 'error') problems.consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => problems.consoleErrors.push(error.message));
  return problems;
}

describe('Swagger UI and the queue dashboard in a browser, under the CSP', () => {
  const database = new TestDatabase();
  let api: ApiProcess;
  let browser: Browser;
  const admin = { username: unique('admin'), email: `${unique('admin')}@example.test`, password: 'admin-password-for-the-dashboard' };

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)`);
    const redis = await startThrowawayRedis();
    api = await startApi({ REDIS_URL: redis.url });
    expect((await request(api.url).post('/api/users').send({ user: admin })).status).toBe(201);
    await database.pool.query('UPDATE users SET is_admin = true WHERE email = $1', [admin.email]);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  });

  afterAll(async () => {
    await browser?.close();
    await stopAll();
    await database.close();
  });

  it('sends a real Content-Security-Policy with the pages', async () => {
    for (const path of ['/docs', '/admin/queues']) {
      const response = await request(api.url).get(path).auth(admin.email, admin.password);
      expect(response.status).toBe(200);
      const policy = response.headers['content-security-policy'];
      expect(policy).toContain("default-src 'self'");
      expect(policy).toContain("script-src 'self'");
      expect(policy).not.toContain('unsafe-eval');
      expect(policy).not.toMatch(/script-src[^;]*unsafe-inline/);
    }
  });

  it('renders Swagger UI with its operations', async () => {
    const page = await browser.newPage();
    const problems = await watch(page);
    await page.goto(`${api.url}/docs`);
    await page.locator('.opblock').first().waitFor({ timeout: 30_000 });
    expect(await page.locator('.opblock').count()).toBeGreaterThan(10);
    await expect(page.locator('.info .title').innerText()).resolves.toContain('Conduit API');
    expect(problems).toEqual({ violations: [], consoleErrors: [] });
    await page.close();
  });

  it('renders the queue dashboard with every queue for an administrator', async () => {
    const context = await browser.newContext({ httpCredentials: { username: admin.email, password: admin.password } });
    const page = await context.newPage();
    const problems = await watch(page);
    await page.goto(`${api.url}/admin/queues`);
    for (const queue of ['mail', 'scheduled']) {
      await page.getByText(queue, { exact: true }).first().waitFor({ timeout: 30_000 });
    }
    // Its data comes from its own API under the policy's connect-src.
    const apiAnswer = page.waitForResponse((response) => response.url().includes('/admin/queues/api/queues'));
    await page.reload();
    expect((await apiAnswer).status()).toBe(200);
    // Bull Board asks Google Fonts for its typeface; the policy refuses that on purpose (an admin
    // page makes no third-party requests) and the page falls back to a system font. Nothing else is blocked.
    const googleFonts = (text: string) => text.includes('https://fonts.googleapis.com/');
    expect(problems.violations.filter((text) => !googleFonts(text))).toEqual([]);
    expect(problems.consoleErrors.filter((text) => !googleFonts(text))).toEqual([]);
    await context.close();
  });
});
