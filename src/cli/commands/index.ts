// Every CLI command, in the order `flinkscope --help` lists them. Add one import + one entry per command.
import type { Command } from 'commander';
import { registerCollect } from './collect.js';
import { registerDemo } from './demo.js';
import { registerEval } from './eval.js';
import { registerInspect } from './inspect.js';
import { registerRecord } from './record.js';
import { registerIncidents } from './incidents.js';
import { registerStudy } from './study.js';
import { registerTrain } from './train.js';

export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [registerDemo, registerCollect, registerTrain, registerInspect, registerEval, registerStudy, registerRecord, registerIncidents];
