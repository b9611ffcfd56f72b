#!/usr/bin/env node
// flinkscope's command line. Each command lives in src/cli/commands/<name>.ts and exports `register(program)`.
import { Command } from 'commander';
import { commands } from './commands/index.js';

const program = new Command();
program
  .name('flinkscope')
  .description('Find hotspots in Apache Flink clusters before they hurt production.')
  .version('0.1.0')
  .showHelpAfterError();
for (const register of commands) register(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  // Expected failures (bad input, unreachable server, …) print one clear line; set FLINKSCOPE_DEBUG=1 for the stack.
  const e = err instanceof Error ? err : new Error(String(err));
  console.error(`flinkscope: ${e.name !== 'Error' ? `${e.name}: ` : ''}${e.message}`);
  if (process.env.FLINKSCOPE_DEBUG) console.error(e.stack);
  process.exit(1);
});
