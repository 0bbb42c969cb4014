import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadFlows } from '../../../src/conversations/flow-files.js';
import { flowCatalog } from '../../../src/engine/catalog.js';
import { hasErrors } from '../../../src/engine/check.js';
import type { I18n } from '../../../src/i18n/index.js';
import { FIXTURES, flow, realI18n } from './helpers.js';

let i18n: I18n;
beforeAll(async () => {
  i18n = await realI18n();
});

describe('loadFlows', () => {
  it('loads the valid flows of a folder and refuses an invalid one with its problems', async () => {
    const dir = path.join(FIXTURES, 'dir');
    const { flows, problems } = await loadFlows(dir, i18n, { languages: [] });
    expect(flows.map((f) => f.id)).toEqual(['fixture-valid']);
    expect(problems.map((p) => [p.file, p.path, p.message])).toEqual([
      [path.join(dir, 'invalid.yaml'), 'nodes[0].next', 'unknown node "nowhere"'],
      [path.join(dir, 'invalid.yaml'), 'nodes[1]', 'node "b" is never reached'],
    ]);
    expect(hasErrors(problems)).toBe(true);
  });

  it('refuses flows with missing translations when translations are required', async () => {
    const { flows, problems } = await loadFlows(path.join(FIXTURES, 'dir'), i18n);
    expect(flows).toEqual([]);
    expect(problems.some((p) => p.message.startsWith('missing en translation'))).toBe(true);
  });

  it('reports a missing folder as a problem instead of throwing', async () => {
    const { flows, problems } = await loadFlows(path.join(FIXTURES, 'nope'), i18n);
    expect(flows).toEqual([]);
    expect(problems[0]?.message).toMatch(/cannot read the flows folder: ENOENT/);
  });
});

describe('flowCatalog', () => {
  it('finds a definition by id and version, and the latest version', () => {
    const v1 = flow({ id: 'a', version: 1, nodes: [{ id: 'e', end: 'v1' }] });
    const v3 = flow({ id: 'a', version: 3, nodes: [{ id: 'e', end: 'v3' }] });
    const b = flow({ id: 'b', version: 1, nodes: [{ id: 'e', end: 'b' }] });
    const catalog = flowCatalog([v3, b, v1]);
    expect(catalog.get('a', 1)).toBe(v1);
    expect(catalog.get('a', 2)).toBeUndefined();
    expect(catalog.latest('a')).toBe(v3);
    expect(catalog.all()).toHaveLength(3);
  });
});
