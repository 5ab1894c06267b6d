// One jest run, four projects. A project's globalSetup runs only when one of its tests is selected, so
// `npm run test:unit` provisions nothing, and the integration project alone starts the real servers.
const ts = { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] };
const base = {
  testEnvironment: 'node',
  transform: ts,
  moduleFileExtensions: ['ts', 'js', 'json'],
  setupFiles: ['<rootDir>/test/setup/quiet-runtime.ts'],
};

/** @type {import('jest').Config} */
module.exports = {
  transform: ts,
  // Integration tests run several workflows end to end on real servers; unit tests finish in milliseconds.
  testTimeout: 120_000,
  // Two test files at a time, even on 2 cores: an integration file spends most of its time waiting on the
  // servers (the machine was 42% busy in band), and each file has its own databases and task queue. On this
  // machine the whole suite took 488 s against 780 s in band, with every test passing.
  maxWorkers: 2,
  // A Temporal worker or server handle left open by a test that failed would keep its jest worker alive after
  // the last test and turn one failure into a hung run. The suites stop what they start (test/helpers.ts useTimeSkippingEnv, the harnesses' afterAll); this is the
  // backstop that lets the run end and report that failure.
  forceExit: true,
  projects: [
    { ...base, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    {
      ...base,
      displayName: 'workflow',
      testMatch: ['<rootDir>/test/workflow/**/*.test.ts'],
      globalSetup: '<rootDir>/test/setup/workflow-setup.ts',
    },
    {
      ...base,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      globalSetup: '<rootDir>/test/setup/integration-setup.ts',
      globalTeardown: '<rootDir>/test/setup/integration-teardown.ts',
    },
    { ...base, displayName: 'replay', testMatch: ['<rootDir>/test/replay/**/*.test.ts'] },
  ],
};
