// Opening a store by location: a file path (SQLite, the embedded default) or postgres://… (a shared PostgreSQL).
import { SqliteStore } from './sqlite.js';
import { StoreError, type Store } from './store.js';

export * from './store.js';
export { SqliteStore, migrate } from './sqlite.js';

export const DEFAULT_DB = '.flinkscope/flinkscope.db';

export async function openStore(location: string): Promise<Store> {
  if (/^postgres(ql)?:\/\//i.test(location)) throw new StoreError(`PostgreSQL stores are not supported by this build (got ${location.replace(/\/\/[^@]*@/, '//…@')})`);
  return new SqliteStore(location);
}
