const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2023',
      keepClassNames: true,
    },
    module: { type: 'es6' },
  },
];

// Jest on Node < 24.9 cannot require() an ES module. @fastify/static (CommonJS, used by Swagger UI)
// requires content-disposition 3 (ESM only); Node itself can, so only tests need it compiled to CommonJS.
const esmOnlyDependencies = ['content-disposition'];

const common = {
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': swc,
    [`/node_modules/(${esmOnlyDependencies.join('|')})/.+\\.js$`]: ['@swc/jest', { module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnlyDependencies.join('|')})/)`],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testEnvironment: 'node',
};

/** @type {import('jest').Config} */
export default {
  // Jest reads this only at the top level. Booting an app on a fresh PGlite takes seconds on a busy
  // 2-core machine, and the e2e suites seed 100k rows: this is a hang guard, not a speed check.
  testTimeout: 120_000,
  // A worker per core, where Jest's default leaves one core free: an e2e file spends much of its time
  // waiting on PostgreSQL, or runs its app's PGlite on one thread, so a file per core keeps the machine
  // busy (docs/development.md has the run times).
  maxWorkers: '100%',
  projects: [
    { ...common, displayName: 'unit', rootDir: 'src', testMatch: ['**/*.spec.ts'] },
    {
      ...common,
      displayName: 'e2e',
      rootDir: 'test',
      testMatch: ['**/*.e2e-spec.ts'],
    },
  ],
};
