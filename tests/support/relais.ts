// Starts Relais in-process on a free port against a test database.
import { type Relais, type StartOptions, startRelais } from '../../src/app.js';
import { type Config, loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import type { TestDatabase } from './db.js';

export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({
    PORT: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    SCHEDULER_ENABLED: 'false',
    DISPATCHER_ENABLED: 'false',
    DEMO_DATA: 'false',
    DATA_DIR: '/nonexistent-relais-data',
    ANONYMITY_KEY: 'test-anonymity-key-0123456789-abcdefghij',
    ...overrides,
  });
}

/**
 * The whole service on a free port, with its loops off: a test runs the dispatcher and
 * the scheduled fires itself (relais.services.dispatcher / fires) at the times it chooses.
 */
export async function startTestRelais(
  db: TestDatabase,
  overrides: Record<string, string> = {},
  options: Omit<StartOptions, 'db' | 'logger'> = {},
): Promise<Relais> {
  const config = testConfig(overrides);
  return startRelais(config, { ...options, db, logger: createLogger(config.LOG_LEVEL) });
}
