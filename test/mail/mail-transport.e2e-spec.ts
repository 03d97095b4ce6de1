import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import net, { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigService } from '@nestjs/config';
import { Test, TestingModule } from '@nestjs/testing';
import { AddressObject, ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer, SMTPServerOptions } from 'smtp-server';
import type { ConfigModule as ConfigModuleType } from '@/config/config.module';
import { Environment, validateEnvironment } from '@/config/environment';
import { MailDeliveryError, MailTransport, OutgoingMail, SMTP_TIMEOUTS } from '@/infra/mail/mail-transport';
import { MailModule } from '@/infra/mail/mail.module';
import { newCommentMail, welcomeMail } from '@/modules/notifications/mail-templates';

/**
 * MailTransport against a real SMTP server (`smtp-server` on a free port, plain TCP, no TLS) and
 * in folder mode, asserting on what arrived: the envelope, the parsed message, the .eml files.
 * Also the failure modes: a server that accepts the connection and never answers must make
 * `send` fail within the greeting timeout, and the credentials in MAIL_URL must never show up in
 * `describe()` or in an error.
 */

jest.setTimeout(30_000);

const appUrl = 'http://localhost:4200';
const USER = 'conduit-mailer';
const PASSWORD = 'p@ss w0rd!Zq';
const ENCODED_CREDENTIALS = `${encodeURIComponent(USER)}:${encodeURIComponent(PASSWORD)}`;

interface Received {
  envelopeFrom: string | false;
  envelopeTo: string[];
  user: unknown;
  raw: string;
  parsed: ParsedMail;
}

interface CaptureServer {
  port: number;
  received: Received[];
  close(): Promise<void>;
}

/** A real SMTP server that parses each message before it answers 250, so a resolved `send` means it is in `received`. */
async function startSmtpServer(options: Partial<SMTPServerOptions> = {}): Promise<CaptureServer> {
  const received: Received[] = [];
  const server = new SMTPServer({
    authOptional: true,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    closeTimeout: 100,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        simpleParser(raw).then(
          (parsed) => {
            received.push({
              envelopeFrom: session.envelope.mailFrom && session.envelope.mailFrom.address,
              envelopeTo: session.envelope.rcptTo.map((rcpt) => rcpt.address),
              user: session.user,
              raw: raw.toString('utf8'),
              parsed,
            });
            callback();
          },
          (error: Error) => callback(error),
        );
      });
    },
    ...options,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return { port, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** Accepts TCP connections and never says a word: a hung mail server. */
async function startSilentServer(): Promise<{ port: number; connections: () => number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const server = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    connections: () => connections,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A MailTransport on its own configuration, validated by the same function as the ConfigModule
 * (which reads the environment once per process, so one suite gets one ConfigModule setup).
 */
async function transportWith(env: Record<string, string>): Promise<{ transport: MailTransport; close(): Promise<void> }> {
  const config = new ConfigService<Environment, true>(
    validateEnvironment({ DATABASE_URL: 'postgresql://unused/conduit', JWT_SECRET: 'x'.repeat(32), ...env }),
  );
  const moduleRef = await Test.createTestingModule({ providers: [MailTransport, { provide: ConfigService, useValue: config }] }).compile();
  return { transport: moduleRef.get(MailTransport), close: () => moduleRef.close() };
}

function addresses(field: AddressObject | AddressObject[] | undefined): string[] {
  return (Array.isArray(field) ? field : field ? [field] : []).flatMap((group) => group.value.map((address) => address.address ?? ''));
}

async function rejection(promise: Promise<unknown>): Promise<MailDeliveryError> {
  try {
    await promise;
  } catch (error) {
    return error as MailDeliveryError;
  }
  throw new Error('expected the send to fail, and it succeeded');
}

function expectNoCredentials(text: string): void {
  for (const secret of [PASSWORD, encodeURIComponent(PASSWORD), USER]) expect(text).not.toContain(secret);
}

function commentMail(messageId: string): OutgoingMail {
  const content = newCommentMail({
    recipient: 'Jürgen',
    commenter: `<script>alert("hi")</script>`,
    articleTitle: 'Drachen & Ritter: “ein Überblick”',
    articleSlug: 'drachen-und-ritter-1',
    commentBody: 'Schön!\nZweite Zeile',
    appUrl,
  });
  return { to: 'juergen@example.com', messageId, ...content };
}

describe('MailTransport over SMTP (ConfigModule, MAIL_URL=smtp://127.0.0.1:<port>)', () => {
  let smtp: CaptureServer;
  let moduleRef: TestingModule;
  let transport: MailTransport;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    process.env.MAIL_URL = `smtp://127.0.0.1:${smtp.port}`;
    // The ConfigModule validates the environment when it is first loaded, so it is loaded here,
    // once MAIL_URL is known, rather than imported at the top (type-only import above).
    const { ConfigModule } = jest.requireActual<{ ConfigModule: typeof ConfigModuleType }>('@/config/config.module');
    // Read once, now: the suites below configure their transports explicitly.
    delete process.env.MAIL_URL;
    moduleRef = await Test.createTestingModule({ imports: [ConfigModule, MailModule] }).compile();
    transport = moduleRef.get(MailTransport);
  });

  afterAll(async () => {
    await moduleRef?.close();
    await smtp?.close();
  });

  it('describes where mail goes', () => {
    expect(transport.describe()).toBe(`smtp://127.0.0.1:${smtp.port}`);
  });

  it('delivers the message: envelope, headers, text and HTML parts, Message-ID', async () => {
    const mail = commentMail('<comment.7@conduit>');
    await transport.send(mail);

    expect(smtp.received).toHaveLength(1);
    const [arrived] = smtp.received;
    expect(arrived.envelopeFrom).toBe('no-reply@conduit.local');
    expect(arrived.envelopeTo).toEqual(['juergen@example.com']);

    const { parsed } = arrived;
    expect(parsed.messageId).toBe('<comment.7@conduit>');
    expect(parsed.from?.value).toEqual([{ name: 'Conduit', address: 'no-reply@conduit.local' }]);
    expect(addresses(parsed.to)).toEqual(['juergen@example.com']);
    expect(parsed.subject).toBe('<script>alert("hi")</script> commented on "Drachen & Ritter: “ein Überblick”"');
    expect(parsed.date).toBeInstanceOf(Date);
    // Both parts, intact through MIME encoding: the text as written, the HTML escaped.
    expect(parsed.text).toBe(mail.text);
    expect(parsed.html).toBe(mail.html);
    expect(parsed.text).toContain('<script>alert("hi")</script> commented on your article "Drachen & Ritter: “ein Überblick”":');
    expect(parsed.html).toContain('&lt;script&gt;alert(&quot;hi&quot;)&lt;/script&gt;');
    expect(parsed.html).not.toContain('<script>');
    expect(arrived.raw).toMatch(/^Content-Type: multipart\/alternative;/m);
  });

  it('sends several mails through the pool, each once', async () => {
    const before = smtp.received.length;
    const mails = ['anne', 'bob', 'carla'].map((name) => ({
      to: `${name}@example.com`,
      messageId: `<welcome.${name}@conduit>`,
      ...welcomeMail({ username: name, appUrl }),
    }));
    await Promise.all(mails.map((mail) => transport.send(mail)));

    const arrived = smtp.received.slice(before);
    expect(arrived.map((item) => item.parsed.messageId).sort()).toEqual(['<welcome.anne@conduit>', '<welcome.bob@conduit>', '<welcome.carla@conduit>']);
    for (const item of arrived) {
      const name = /<welcome\.(\w+)@conduit>/.exec(item.parsed.messageId ?? '')?.[1];
      expect(item.envelopeTo).toEqual([`${name}@example.com`]);
      expect(item.parsed.subject).toBe(`Welcome to Conduit, ${name}!`);
    }
  });
});

describe('MailTransport with credentials in MAIL_URL', () => {
  let smtp: CaptureServer;

  beforeAll(async () => {
    smtp = await startSmtpServer({
      authOptional: false,
      onAuth(auth, _session, callback) {
        if (auth.username === USER && auth.password === PASSWORD) return callback(null, { user: auth.username });
        // A careless server that echoes what it was sent: the transport must still not pass it on.
        callback(new Error(`Invalid login ${auth.username ?? ''}/${auth.password ?? ''}`));
      },
    });
  });

  afterAll(async () => {
    await smtp?.close();
  });

  it('authenticates with them, and keeps them out of describe()', async () => {
    const { transport, close } = await transportWith({ MAIL_URL: `smtp://${ENCODED_CREDENTIALS}@127.0.0.1:${smtp.port}` });
    try {
      expect(transport.describe()).toBe(`smtp://127.0.0.1:${smtp.port}`);
      expectNoCredentials(transport.describe());
      await transport.send({ to: 'jake@example.com', messageId: '<auth.1@conduit>', ...welcomeMail({ username: 'jake', appUrl }) });
      const arrived = smtp.received.find((item) => item.parsed.messageId === '<auth.1@conduit>');
      expect(arrived?.user).toBe(USER);
      expect(arrived?.envelopeTo).toEqual(['jake@example.com']);
    } finally {
      await close();
    }
  });

  it('fails with an error that does not contain them when the server refuses the login', async () => {
    const wrong = 'Wr0ng-Secret!';
    const { transport, close } = await transportWith({
      MAIL_URL: `smtp://${encodeURIComponent(USER)}:${encodeURIComponent(wrong)}@127.0.0.1:${smtp.port}`,
    });
    try {
      const error = await rejection(transport.send({ to: 'jake@example.com', messageId: '<auth.2@conduit>', ...welcomeMail({ username: 'jake', appUrl }) }));
      expect(error).toBeInstanceOf(MailDeliveryError);
      expect(error.code).toBe('EAUTH');
      expect(error.responseCode).toBe(535);
      expect(error.permanent).toBe(true);
      // The server's reply is kept, with the secrets masked.
      expect(error.message).toContain(`Mail to smtp://127.0.0.1:${smtp.port} failed`);
      expect(error.message).toContain('Invalid login ***/***');
      for (const text of [error.message, String(error.stack), JSON.stringify(error), String(error)]) {
        expect(text).not.toContain(wrong);
        expect(text).not.toContain(encodeURIComponent(wrong));
        expect(text).not.toContain(USER);
      }
      expect(smtp.received.some((item) => item.parsed.messageId === '<auth.2@conduit>')).toBe(false);
    } finally {
      await close();
    }
  });

  it('fails without them when nothing listens on the port', async () => {
    const closed = await startSilentServer();
    const port = closed.port;
    await closed.close();
    const { transport, close } = await transportWith({ MAIL_URL: `smtps://${ENCODED_CREDENTIALS}@127.0.0.1:${port}` });
    try {
      expect(transport.describe()).toBe(`smtps://127.0.0.1:${port}`);
      const error = await rejection(transport.send({ to: 'jake@example.com', messageId: '<refused.1@conduit>', ...welcomeMail({ username: 'jake', appUrl }) }));
      expect(error).toBeInstanceOf(MailDeliveryError);
      expect(error.message).toMatch(/ECONNREFUSED/);
      expectNoCredentials(`${error.message} ${String(error.stack)} ${JSON.stringify(error)}`);
    } finally {
      await close();
    }
  });
});

describe('MailTransport against a server that never answers', () => {
  it('rejects within the greeting timeout instead of hanging, without the credentials', async () => {
    const silent = await startSilentServer();
    const { transport, close } = await transportWith({ MAIL_URL: `smtp://${ENCODED_CREDENTIALS}@127.0.0.1:${silent.port}` });
    try {
      const started = Date.now();
      const error = await rejection(transport.send({ to: 'jake@example.com', messageId: '<hung.1@conduit>', ...welcomeMail({ username: 'jake', appUrl }) }));
      const elapsed = Date.now() - started;

      expect(silent.connections()).toBeGreaterThanOrEqual(1);
      expect(error).toBeInstanceOf(MailDeliveryError);
      expect(error.code).toBe('ETIMEDOUT');
      expect(error.message).toMatch(/greeting/i);
      // It was the greeting timeout that fired (not an immediate error), and nothing waited longer.
      expect(elapsed).toBeGreaterThanOrEqual(SMTP_TIMEOUTS.greetingMs - 250);
      expect(elapsed).toBeLessThan(SMTP_TIMEOUTS.greetingMs + 2_000);
      expectNoCredentials(`${error.message} ${String(error.stack)} ${JSON.stringify(error)} ${transport.describe()}`);
    } finally {
      await close();
      await silent.close();
    }
  });
});

describe('MailTransport without MAIL_URL (.eml files)', () => {
  let root: string;
  let dir: string;
  let transport: MailTransport;
  let close: () => Promise<void>;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'conduit-mail-'));
    dir = join(root, 'var', 'mail');
    ({ transport, close } = await transportWith({ MAIL_DIR: dir, MAIL_FROM: 'Conduit Test <test@conduit.local>' }));
  });

  afterAll(async () => {
    await close?.();
    await rm(root, { recursive: true, force: true });
  });

  const emlFiles = async (): Promise<string[]> => (await readdir(dir)).sort();

  it('describes the folder', () => {
    expect(transport.describe()).toBe(`folder ${dir}`);
  });

  it('writes the message as an .eml file in a folder it creates', async () => {
    const mail = commentMail('<comment.9@conduit>');
    await transport.send(mail);

    const files = await emlFiles();
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^\d{8}T\d{9}Z-comment\.9@conduit\.eml$/);

    const raw = await readFile(join(dir, files[0]));
    expect(raw.toString('latin1')).toMatch(/\r\n\r\n/);
    expect(raw.toString('latin1')).not.toMatch(/[^\r]\n/);
    const parsed = await simpleParser(raw);
    expect(parsed.messageId).toBe('<comment.9@conduit>');
    expect(parsed.from?.value).toEqual([{ name: 'Conduit Test', address: 'test@conduit.local' }]);
    expect(addresses(parsed.to)).toEqual(['juergen@example.com']);
    expect(parsed.subject).toBe(mail.subject);
    expect(parsed.text).toBe(mail.text);
    expect(parsed.html).toBe(mail.html);
  });

  it('writes a message id once, even when sent again or concurrently', async () => {
    await transport.send(commentMail('<comment.9@conduit>'));
    const again = { to: 'x@example.com', messageId: '<digest.2026-11-25.3@conduit>', ...welcomeMail({ username: 'x', appUrl }) };
    await Promise.all([transport.send(again), transport.send(again), transport.send(again)]);
    await transport.send(again);

    const files = await emlFiles();
    expect(files).toHaveLength(2);
    expect(files.filter((name) => name.endsWith('-comment.9@conduit.eml'))).toHaveLength(1);
    expect(files.filter((name) => name.endsWith('-digest.2026-11-25.3@conduit.eml'))).toHaveLength(1);
    // No temporary file left behind.
    expect(files.every((name) => name.endsWith('.eml') && !name.startsWith('.'))).toBe(true);
  });

  it('keeps a hostile message id inside the folder, in a distinct file', async () => {
    const sneaky = { to: 'x@example.com', messageId: '<../../etc/passwd@conduit>', ...welcomeMail({ username: 'x', appUrl }) };
    const lookalike = { ...sneaky, messageId: '<.._.._etc_passwd@conduit>' };
    await transport.send(sneaky);
    await transport.send(lookalike);

    const files = await emlFiles();
    expect(files).toHaveLength(4);
    expect(await readdir(root)).toEqual(['var']);
    const ids = await Promise.all(files.map(async (name) => (await simpleParser(await readFile(join(dir, name)))).messageId));
    expect(ids).toEqual(expect.arrayContaining(['<../../etc/passwd@conduit>', '<.._.._etc_passwd@conduit>']));
  });
});

describe('MAIL_URL validation', () => {
  it('refuses a URL that is not smtp:// or smtps://, without printing it', () => {
    let message = '';
    try {
      validateEnvironment({ DATABASE_URL: 'postgresql://localhost/conduit', JWT_SECRET: 'x'.repeat(32), MAIL_URL: `http://${ENCODED_CREDENTIALS}@mail.example.com` });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('MAIL_URL must be an smtp:// or smtps:// URL');
    expectNoCredentials(message);
  });

  it('defaults to the folder mode with the documented settings', () => {
    const environment = validateEnvironment({ DATABASE_URL: 'postgresql://localhost/conduit', JWT_SECRET: 'x'.repeat(32) });
    expect(environment.MAIL_URL).toBeUndefined();
    expect(environment.MAIL_FROM).toBe('Conduit <no-reply@conduit.local>');
    expect(environment.MAIL_DIR).toBe('var/mail');
    expect(environment.APP_URL).toBe('http://localhost:4200');
  });
});
