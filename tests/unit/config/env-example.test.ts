import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';

describe('.env.example', () => {
  it('is a valid configuration as written', () => {
    const env: Record<string, string> = {};
    const text = readFileSync(new URL('../../../.env.example', import.meta.url), 'utf8');
    for (const line of text.split('\n')) {
      const match = /^([A-Z_]+)=(.*)$/.exec(line);
      if (match?.[1]) env[match[1]] = match[2] ?? '';
    }
    expect(Object.keys(env).length).toBeGreaterThan(10);
    expect(() => loadConfig(env)).not.toThrow();
  });
});
