// Sanity check of flink-lab recordings (after `npm run build`): per fault, its signature metrics on the labelled
// TaskManager vs the others and vs itself before (during/others/before), and whether it shows.
//   node scripts/check-flink-lab.mjs datasets/flink-lab/*
import { readFlinkLab } from '../dist/src/data/index.js';
import { checkRecording, checkTable } from '../dist/src/app/lab/check.js';

let shown = 0;
let total = 0;
for (const dir of process.argv.slice(2)) {
  const rec = readFlinkLab(dir);
  const checks = checkRecording(rec);
  console.log(`\n${dir}: seed ${rec.manifest.seed}, ${((rec.manifest.end - rec.manifest.start) / 60_000).toFixed(1)} min, ${rec.machines.length} TaskManagers, ${rec.faults.length} faults, ${rec.events.length} events`);
  console.log(checkTable(checks));
  shown += checks.filter((c) => c.shows).length;
  total += checks.length;
}
console.log(`\n${shown} of ${total} faults show on their labelled TaskManager`);
