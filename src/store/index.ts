// Opening a store by location: a file path (SQLite, the embedded default) or postgres://… (a shared PostgreSQL).
import { SqliteStore } from './sqlite.js';
import { PostgresStore } from './postgres.js';
import type { Store } from './store.js';

export * from './store.js';
export { SqliteStore, migrate } from './sqlite.js';
export { PostgresStore, redact } from './postgres.js';

export const DEFAULT_DB = '.flinkscope/flinkscope.db';

export const isPostgres = (location: string): boolean => /^postgres(ql)?:\/\//i.test(location);

export async function openStore(location: string): Promise<Store> {
  if (isPostgres(location)) return PostgresStore.open(location);
  return new SqliteStore(location);
}
