// Builds the native tensor backend (native/binding.gyp) offline with node-gyp against the running Node's headers.
// Never fails the install: if the addon cannot build, the engine says so once at run time and uses `reference`.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const nativeDir = join(root, 'native');
if (!existsSync(join(nativeDir, 'binding.gyp'))) {
  console.log('[flinkscope] no native/binding.gyp: skipping the native backend build');
  process.exit(0);
}
const require = createRequire(import.meta.url);
let gyp;
try {
  gyp = require.resolve('node-gyp/bin/node-gyp.js');
} catch {
  console.warn('[flinkscope] node-gyp not installed: the native backend is not built (reference backend only)');
  process.exit(0);
}
// Headers of the running Node: <prefix>/include/node. Never download headers.
const nodedir = process.env.npm_config_nodedir || dirname(dirname(process.execPath));
const res = spawnSync(process.execPath, [gyp, 'rebuild', '--release', `--nodedir=${nodedir}`, '-j', 'max'], {
  cwd: nativeDir,
  stdio: 'inherit',
  env: { ...process.env, npm_config_nodedir: nodedir },
});
if (res.status !== 0) {
  console.warn('[flinkscope] the native backend failed to build; flinkscope will run on the (slower) reference backend');
}
process.exit(0);
