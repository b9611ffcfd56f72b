// The toolbox's store parts (test/helpers/toolbox-suite.ts) on the SQLite engine.
import { SqliteStore, type Store } from '../../../src/store/index.js';
import { toolboxSuite } from '../../helpers/toolbox-suite.js';

toolboxSuite('sqlite', async () => new SqliteStore(':memory:'), async (s: Store) =>
  ((s as SqliteStore).db.prepare('SELECT COUNT(*) AS n FROM job_topologies').get() as { n: number }).n);
