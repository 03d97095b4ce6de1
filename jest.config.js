// Jest runs in CommonJS mode; Nest 12's ESM-only packages load through Node's require(esm),
// which is why every jest script starts Node with --experimental-vm-modules (see README).
const nestCli = require('./nest-cli.json');

// The Swagger CLI plugin, with the options `nest build` uses, so that the document built under
// Jest equals the built one.
const swaggerPlugin = nestCli.compilerOptions.plugins.find((plugin) => plugin.name === '@nestjs/swagger');

// The plugin needs a full program (a type checker), so ts-jest compiles through its language
// service (isolatedModules off); with isolatedModules it would see one file at a time, and the
// document would silently lose every type it infers from an import. (ts-jest keeps one
// configuration per Jest project whatever the transform patterns say, so this holds for every file.)
// Type errors are tsc's job (the typecheck step of `npm test`, `npm run lint`): excluding every
// file from ts-jest's diagnostics spares a type check per file. 151002 is ts-jest's notice that
// module `nodenext` is "only supported" with isolatedModules; it compiles to CommonJS as required,
// and the contract test checks the document (equal to `nest build`'s when this was set up).
const tsJest = [
  'ts-jest',
  {
    tsconfig: 'tsconfig.json',
    isolatedModules: false,
    diagnostics: { exclude: ['**'], ignoreCodes: [151002] },
    astTransformers: {
      before: [{ path: '<rootDir>/test/jest/swagger-plugin-transformer.js', options: swaggerPlugin.options }],
    },
  },
];

const shared = {
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: {
    '^@/(.*)$': '<rootDir>/src/$1',
    // The generated Prisma client imports its siblings as `./x.js`.
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: { '^.+\\.ts$': tsJest },
};

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'] },
    // Repositories and services on the real PostgreSQL and Redis, without HTTP (npm run test:integration).
    // A suite's set-up (a module, a data set) stays well under a second on a quiet machine; the
    // timeout is for a loaded one, where Jest's default 5 s would fail the set-up rather than a test.
    { ...shared, displayName: 'integration', testMatch: ['<rootDir>/test/integration/**/*.int-spec.ts'], testTimeout: 30_000 },
    { ...shared, displayName: 'e2e', testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'] },
    // Fault drills (npm run drills): real processes, their own PostgreSQL, Redis and SMTP servers.
    { ...shared, displayName: 'drills', testMatch: ['<rootDir>/test/drills/*.drill-spec.ts'] },
    // npm run test:replicas: the contract suites and the Postman collection with DATABASE_REPLICA_URLS
    // naming a streaming replica that the global setup starts (scripts/test-replicas.mjs).
    {
      ...shared,
      displayName: 'replicas',
      testMatch: ['<rootDir>/test/contract/*.e2e-spec.ts', '<rootDir>/test/replicas/*.replicas-spec.ts'],
      globalSetup: '<rootDir>/test/helpers/replicas.global-setup.ts',
      globalTeardown: '<rootDir>/test/helpers/replicas.global-teardown.ts',
    },
  ],
};
