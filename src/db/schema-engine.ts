// Loads Prisma's schema engine compiled to WebAssembly. Its package entry imports the
// .wasm file as an ES module, which Node 20 only allows behind --experimental-wasm-modules;
// instantiating the bytes ourselves gives the same engine with no flag, in tests too.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import {
  bindMigrationAwareSqlAdapterFactory,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
} from '@prisma/driver-adapter-utils';
import * as bindings from '@prisma/schema-engine-wasm/schema_engine_bg';

export type SchemaEngine = bindings.SchemaEngine;
export type MigrationList = Parameters<SchemaEngine['applyMigrations']>[0]['migrationsList'];

let ready: Promise<void> | undefined;

// Node has WebAssembly; the TypeScript lib without DOM does not declare it.
interface WasmApi {
  instantiate(
    bytes: Uint8Array,
    imports: Record<string, object>,
  ): Promise<{ instance: { exports: Record<string, unknown> } }>;
}
const wasmApi = () => (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

function initWasm(): Promise<void> {
  ready ??= (async () => {
    const require = createRequire(import.meta.url);
    // The package exports only its JS files; the .wasm sits beside them.
    const bgPath = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg');
    const wasmPath = join(dirname(bgPath), 'schema_engine_bg.wasm');
    const { instance } = await wasmApi().instantiate(readFileSync(wasmPath), {
      './schema_engine_bg.js': bindings,
    });
    bindings.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
  })();
  return ready;
}

export const emptyFilters = { externalTables: [], externalEnums: [] };

export interface OpenEngine {
  engine: SchemaEngine;
  /** Frees the engine and closes every connection it opened. */
  close(): Promise<void>;
}

/** A schema engine bound to a database through a Prisma driver adapter factory. */
export async function openSchemaEngine(
  factory: SqlMigrationAwareDriverAdapterFactory,
  schema: { path: string; content: string },
  log: (line: string) => void = () => {},
): Promise<OpenEngine> {
  await initWasm();
  // The engine does not close the connections it takes when freed. Left open, the one
  // holding Prisma's own migration advisory lock keeps it until the pool drops it, and a
  // second migrate waits that long; so we count them and close them ourselves.
  const opened: SqlDriverAdapter[] = [];
  const tracked: SqlMigrationAwareDriverAdapterFactory = {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: async () => {
      const adapter = await factory.connect();
      opened.push(adapter);
      return adapter;
    },
    connectToShadowDb: async () => {
      const adapter = await factory.connectToShadowDb();
      opened.push(adapter);
      return adapter;
    },
  };
  const engine = await bindings.SchemaEngine.new(
    { datamodels: [[schema.path, schema.content]] },
    log,
    bindMigrationAwareSqlAdapterFactory(tracked),
  );
  return {
    engine,
    async close() {
      engine.free();
      await Promise.allSettled(opened.map((adapter) => adapter.dispose()));
    },
  };
}
