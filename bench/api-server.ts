// The server side of bench:api, in its own process (the load generator must not share its event loop):
// `node dist/bench/api-server.js DB worker|in-process` prints its address, then serves until killed.
import { SqliteStore } from '../src/store/sqlite.js';
import { InspectionService } from '../src/app/service.js';
import { serveApi } from '../src/server/api.js';

const [db, rangeReads] = process.argv.slice(2) as [string, 'worker' | 'in-process'];
const { address } = await serveApi(new InspectionService(new SqliteStore(db)), { port: 0, rangeReads });
console.log(address);
