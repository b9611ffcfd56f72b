// Range queries read the roll-ups when their buckets are wide: the answers equal what the raw rows give over the same
// (aligned) buckets — means for metrics, maxima for scores — re-delivered samples do not count twice, at most the
// asked number of buckets comes back, and retention takes old roll-ups with their rows. The SQLite engine here; the
// same suite runs against PostgreSQL in test/integration/store/postgres.test.ts.
import { SqliteStore } from '../../../src/store/index.js';
import { rollupSuite } from '../../helpers/rollup-suite.js';

rollupSuite('sqlite', async () => new SqliteStore(':memory:'));
