import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'main/**/*.spec.ts',
      'renderer/**/*.spec.ts',
      'shared/**/*.spec.ts',
      'hub/**/*.spec.ts',
      'cli/**/*.spec.ts',
      'scripts/**/*.spec.ts',
    ],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
