// Entry point of `npm start`: read the configuration, start Relais, stop it cleanly.
import { startRelais } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { DatabaseInUseError } from './db/folder-lock.js';

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}

let relais: Awaited<ReturnType<typeof startRelais>>;
try {
  relais = await startRelais(config);
} catch (error) {
  // Someone else has the embedded database open: say who, not a stack trace.
  if (error instanceof DatabaseInUseError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
const { logger } = relais;
logger.info({ url: relais.url, database: relais.db.location }, 'Relais is listening');
// A plain line for people who start it by hand; the JSON log above is for machines.
console.error(`\nRelais is listening on ${relais.url}  (database: ${relais.db.location})`);
console.error(`Try the web chat: ${relais.url}/chat`);
if (relais.demoToken) {
  console.error(
    `Demo data loaded. API token of the Deux-Sèvres demo (shown once): ${relais.demoToken}`,
  );
}
console.error('');

let signalled = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (signalled) return;
    signalled = true;
    logger.info({ signal }, 'stopping: finishing in-flight work');
    relais.stop().then(
      () => process.exit(0),
      (error) => {
        logger.error({ err: error }, 'error while stopping');
        process.exit(1);
      },
    );
  });
}
