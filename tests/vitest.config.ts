import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Kept under tests/ so the project's top level stays as the brief lists it.
export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Database tests each get their own database; two workers fit the 2-core machines.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
