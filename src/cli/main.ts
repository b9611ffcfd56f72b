#!/usr/bin/env node
// flinkscope's command line. Each command lives in src/cli/commands/<name>.ts and exports `register(program)`.
// Exit codes: 0 done, 1 failed while running (bad data, unreachable server, nothing collected), 2 wrong command line
// (an unknown option, a bad option value, a missing or contradictory option) — always one line on stderr.
import { Command, CommanderError } from 'commander';
import { commands } from './commands/index.js';
import { UsageError } from './options.js';

const program = new Command();
program
  .name('flinkscope')
  .description('Find hotspots in Apache Flink clusters before they hurt production.')
  .version('0.1.0')
  // set before the commands are added, so they inherit it: commander throws instead of exiting, and says it in one line
  .exitOverride()
  .configureOutput({ outputError: (str, write) => write(`flinkscope: ${str.replace(/^error: /, '')}`) });
for (const register of commands) register(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2); // commander printed it (or the help)
  // Expected failures (bad input, unreachable server, …) print one clear line; set FLINKSCOPE_DEBUG=1 for the stack.
  const e = err instanceof Error ? err : new Error(String(err));
  console.error(`flinkscope: ${e.name !== 'Error' && e.name !== 'UsageError' ? `${e.name}: ` : ''}${e.message}`);
  if (process.env.FLINKSCOPE_DEBUG) console.error(e.stack);
  process.exit(e instanceof UsageError ? 2 : 1);
});
