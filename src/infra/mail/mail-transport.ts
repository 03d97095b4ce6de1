import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import nodemailer from 'nodemailer';
import type { Environment } from '@/config/environment';

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** deterministic and globally unique id, e.g. `<welcome.42.3f9a0c1d2e4b@conduit.example>`; lets a resend be recognised */
  messageId: string;
}

/**
 * Limits on every SMTP conversation, so that a mail server that is down, unreachable or stalled
 * fails the job (which the queue retries later) instead of holding a worker slot for the minutes
 * nodemailer waits by default.
 */
export const SMTP_TIMEOUTS = {
  /**
   * The whole connection setup: DNS, TCP, TLS and the server's greeting. nodemailer (10.x) counts
   * the greeting inside this budget, so it must be larger than greetingMs for that one to matter.
   */
  connectionMs: 8_000,
  /** From the open connection to the server's 220 greeting. */
  greetingMs: 5_000,
  /** To resolve the server's host name (also inside connectionMs). */
  dnsMs: 4_000,
  /** Longest silence in the middle of a conversation. */
  socketMs: 15_000,
  /** The whole send, however it is spent: a server trickling one byte at a time never trips socketMs. */
  sendMs: 30_000,
} as const;

/** A failed delivery, with a message that never carries the credentials of `MAIL_URL`. */
export class MailDeliveryError extends Error {
  override readonly name = 'MailDeliveryError';

  constructor(
    message: string,
    /** nodemailer's error code: ETIMEDOUT, ECONNECTION, EAUTH, EENVELOPE, EMESSAGE, EABORT... */
    readonly code: string | undefined,
    /** The SMTP reply code, when the server answered with an error. */
    readonly responseCode: number | undefined,
    /** True when the server refused for good (5xx): retrying will not help. */
    readonly permanent: boolean,
  ) {
    super(message);
  }
}

interface Sender {
  describe(): string;
  send(mail: OutgoingMail): Promise<void>;
  close(): void;
}

/**
 * Delivers the notification mails: over SMTP when `MAIL_URL` is set, otherwise as `.eml` files
 * in `MAIL_DIR` that a developer can open in any mail client. Both modes build the same MIME
 * message (a text and an HTML alternative, `MAIL_FROM` as sender, the caller's Message-ID).
 *
 * Callers make sends idempotent by message id (the mail processor records each delivery); the
 * folder mode also refuses to write a message id twice, so a repeated job leaves one file.
 */
@Injectable()
export class MailTransport implements OnModuleDestroy {
  private readonly logger = new Logger('MailTransport');
  private readonly sender: Sender;

  constructor(@Inject(ConfigService) config: ConfigService<Environment, true>) {
    const url = config.get('MAIL_URL', { infer: true });
    const from = config.get('MAIL_FROM', { infer: true });
    this.sender = url ? new SmtpSender(url, from) : new FolderSender(config.get('MAIL_DIR', { infer: true }), from);
    this.logger.log(`Mail goes to ${this.sender.describe()}`);
  }

  /** Resolves once the server accepted the message (or the file is written); rejects with a `MailDeliveryError`. */
  send(mail: OutgoingMail): Promise<void> {
    return this.sender.send(mail);
  }

  /** Where mail goes, safe to log: `smtp://mail:1025` without credentials, or `folder var/mail`. */
  describe(): string {
    return this.sender.describe();
  }

  onModuleDestroy(): void {
    this.sender.close();
  }
}

class SmtpSender implements Sender {
  private readonly transporter;
  private readonly where: string;
  private readonly secrets: string[];

  constructor(url: string, from: string) {
    const parsed = parseUrl(url);
    this.where = `${parsed.protocol}//${parsed.host}`;
    this.secrets = secretsOf(parsed);
    // Options given next to the url are applied, and query parameters of the url override them
    // (e.g. `?greetingTimeout=20000` for a slow server), as nodemailer documents.
    this.transporter = nodemailer.createTransport(
      {
        url,
        pool: true,
        maxConnections: 5,
        connectionTimeout: SMTP_TIMEOUTS.connectionMs,
        greetingTimeout: SMTP_TIMEOUTS.greetingMs,
        socketTimeout: SMTP_TIMEOUTS.socketMs,
        dnsTimeout: SMTP_TIMEOUTS.dnsMs,
        // nodemailer's own logger can print the AUTH exchange; Nest's logger reports what matters.
        logger: false,
        debug: false,
      },
      { from },
    );
  }

  describe(): string {
    return this.where;
  }

  async send(mail: OutgoingMail): Promise<void> {
    try {
      await this.transporter.sendMail({ ...mail, signal: AbortSignal.timeout(SMTP_TIMEOUTS.sendMs) });
    } catch (error) {
      throw deliveryError(error, `Mail to ${this.where} failed`, this.secrets);
    }
  }

  close(): void {
    this.transporter.close();
  }
}

/**
 * Development mode: each message, fully encoded by nodemailer's stream transport, is written as
 * `<timestamp>-<message id>.eml`. The file appears whole or not at all (written to a temporary
 * name, then renamed), and a message id that already has a file is not written again.
 */
class FolderSender implements Sender {
  private readonly composer;
  /** Sends of the same message id in this process wait for each other, so the check-then-write is not raced. */
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(
    private readonly dir: string,
    from: string,
  ) {
    // CRLF line ends: an .eml file is an RFC 5322 message as it would travel over SMTP.
    this.composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' }, { from });
  }

  describe(): string {
    return `folder ${this.dir}`;
  }

  send(mail: OutgoingMail): Promise<void> {
    const key = fileKey(mail.messageId);
    const previous = this.inFlight.get(key) ?? Promise.resolve();
    const current = previous.then(() => this.write(key, mail));
    const settled = current.catch(() => undefined);
    this.inFlight.set(key, settled);
    void settled.then(() => {
      if (this.inFlight.get(key) === settled) this.inFlight.delete(key);
    });
    return current;
  }

  close(): void {
    this.composer.close();
  }

  private async write(key: string, mail: OutgoingMail): Promise<void> {
    try {
      await mkdir(this.dir, { recursive: true });
      if (await this.exists(key)) return;
      const info = await this.composer.sendMail(mail);
      const name = `${timestamp()}-${key}.eml`;
      const temp = join(this.dir, `.${name}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
      try {
        await writeFile(temp, info.message as Buffer, { flag: 'wx' });
        await rename(temp, join(this.dir, name));
      } finally {
        await rm(temp, { force: true });
      }
    } catch (error) {
      throw deliveryError(error, `Mail to folder ${this.dir} failed`, []);
    }
  }

  private async exists(key: string): Promise<boolean> {
    // The timestamp has no "-", so the id is everything after the first one.
    const suffix = `${key}.eml`;
    return (await readdir(this.dir)).some((name) => !name.startsWith('.') && name.slice(name.indexOf('-') + 1) === suffix);
  }
}

/** `20261125T094135123Z`: sorts by time and is a valid file name everywhere. */
function timestamp(): string {
  return new Date().toISOString().replace(/[-:.]/g, '');
}

/**
 * A file-name-safe form of a message id: `<welcome.42@conduit>` becomes `welcome.42@conduit`.
 * When characters had to be replaced or the id cut short, a hash of the original id keeps two
 * different ids from sharing a name (and one of them from being skipped as a duplicate).
 */
function fileKey(messageId: string): string {
  const bare = messageId.trim().replace(/^<|>$/g, '');
  let key = bare.replace(/[^A-Za-z0-9._@+=-]/g, '_').replace(/^\.+/, '_');
  if (key !== bare || key.length > 120) {
    key = `${key.slice(0, 120)}~${createHash('sha256').update(messageId).digest('hex').slice(0, 12)}`;
  }
  return key;
}

/** Node's URL error keeps the input (password included) on the error: replace it with one that does not. */
function parseUrl(url: string): URL {
  try {
    return new URL(url);
  } catch {
    throw new Error('MAIL_URL is not a valid URL (see .env.example)');
  }
}

/** The user name and password of a connection URL, as written and decoded. */
function secretsOf(url: URL): string[] {
  const secrets = new Set<string>();
  for (const raw of [url.password, url.username]) {
    if (!raw) continue;
    secrets.add(raw);
    try {
      secrets.add(decodeURIComponent(raw));
    } catch {
      // Not valid percent-encoding: the raw form is what nodemailer sees.
    }
  }
  // Longest first, so that a secret containing another is replaced whole.
  return [...secrets].filter((secret) => secret.length >= 3 || secret === url.password).sort((a, b) => b.length - a.length);
}

function redact(text: string, secrets: string[]): string {
  return secrets.reduce((out, secret) => out.split(secret).join('***'), text);
}

/**
 * A new error rather than the original: nodemailer's errors carry the server's last reply and
 * the command sent, and anything attached here ends up in logs and in the failed job in Redis.
 */
function deliveryError(error: unknown, context: string, secrets: string[]): MailDeliveryError {
  const source = (error ?? {}) as { message?: unknown; code?: unknown; responseCode?: unknown; permanent?: unknown };
  const message = typeof source.message === 'string' ? source.message : String(error);
  const code = typeof source.code === 'string' ? source.code : undefined;
  const responseCode = typeof source.responseCode === 'number' ? source.responseCode : undefined;
  const permanent = source.permanent === true || (responseCode !== undefined && responseCode >= 500);
  return new MailDeliveryError(redact(`${context}: ${message}`, secrets), code, responseCode, permanent);
}
