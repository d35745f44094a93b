import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // bicep.ts compiles infra/ once per run for test/unit/infra and test/integration/infra
    globalSetup: ['test/setup/global.ts', 'test/setup/bicep.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
