import type { Command } from '../command.js';
import { botCommand } from './bot.js';
import { captureCommand } from './capture.js';
import { cdcCommand } from './cdc.js';
import { demoCommand } from './demo.js';
import { devicesCommand } from './devices.js';
import { queryCommand } from './query.js';
import { replayCommand } from './replay.js';
import { skipCommand } from './skip.js';
import { sqlCommand } from './sql.js';
import { startCommand } from './start.js';
import { topologyCommand } from './topology.js';

/** Every `probestream` command, in the order `--help` lists them. */
export const COMMANDS: readonly Command[] = [
  startCommand,
  replayCommand,
  captureCommand,
  cdcCommand,
  devicesCommand,
  botCommand,
  queryCommand,
  sqlCommand,
  skipCommand,
  demoCommand,
  topologyCommand,
] as readonly Command[];
