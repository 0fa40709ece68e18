import { defineConfig } from 'vitest/config';

// Integration tests share one private MariaDB and clamd (started by `make services`), so test
// files run one at a time; each file gets a freshly truncated database.
export default defineConfig({
  test: {
    include: [
      'app/**/*.test.ts',
      'config/**/*.test.ts',
      'backup/**/*.test.ts',
      'test/**/*.test.ts',
    ],
    globalSetup: ['test/harness/globalSetup.ts'],
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
  },
});
