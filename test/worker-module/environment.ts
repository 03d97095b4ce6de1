// The modules validate the configuration when they are loaded, so a complete one is set before
// any of them is imported (this module is the spec's first import). Nothing connects to it: the
// spec only reads module metadata, and no provider is created.
Object.assign(process.env, {
  DATABASE_URL: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/conduit_static_check',
  JWT_SECRET: process.env.JWT_SECRET ?? 'static-module-check-secret-0123456789abcdef0123456789',
});
