#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { translateDcmtkArgs } from './common/dcmtk-args.ts';
import { translateTls } from './common/network.ts';
import { DUMP_ALIASES, dumpCommand } from './dump.ts';
import { DUMP2DCM_ALIASES, dump2dcmCommand } from './dump2dcm.ts';
import { ECHOSCU_ALIASES, echoscuCommand } from './echoscu.ts';
import { FINDSCU_ALIASES, findscuCommand } from './findscu.ts';
import { json2dcmCommand, jsonCommand } from './json.ts';
import { mprCommand } from './mpr.ts';
import { pacsCommand } from './pacs.ts';
import { renderCommand, transcodeCommand } from './pixel.ts';
import { GETSCU_ALIASES, getscuCommand, MOVESCU_ALIASES, movescuCommand } from './retrieve.ts';
import { STORESCP_ALIASES, storescpCommand } from './storescp.ts';
import { STORESCU_ALIASES, storescuCommand } from './storescu.ts';

const ALIASES: Record<string, Readonly<Record<string, string>>> = {
  dump: DUMP_ALIASES,
  dump2dcm: DUMP2DCM_ALIASES,
  echoscu: ECHOSCU_ALIASES,
  storescu: STORESCU_ALIASES,
  findscu: FINDSCU_ALIASES,
  storescp: STORESCP_ALIASES,
  movescu: MOVESCU_ALIASES,
  getscu: GETSCU_ALIASES,
};

export async function main(argv: readonly string[]): Promise<void> {
  const [command, ...rest] = argv;
  const aliases = command ? ALIASES[command] : undefined;
  const args = aliases ? [command!, ...translateDcmtkArgs(translateTls(rest), aliases)] : [...argv];
  const program = new Command('dicomkit')
    .description('DICOM toolkit and PACS: files, network tools compatible with DCMTK, and a PACS server')
    .version('0.1.0')
    .showHelpAfterError()
    .addCommand(dumpCommand())
    .addCommand(dump2dcmCommand())
    .addCommand(jsonCommand())
    .addCommand(json2dcmCommand())
    .addCommand(pacsCommand())
    .addCommand(echoscuCommand())
    .addCommand(storescuCommand())
    .addCommand(findscuCommand())
    .addCommand(storescpCommand())
    .addCommand(movescuCommand())
    .addCommand(getscuCommand())
    .addCommand(renderCommand())
    .addCommand(transcodeCommand())
    .addCommand(mprCommand());
  program.exitOverride();
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode === 0 ? 0 : 1;
      return;
    }
    process.stderr.write(`E: ${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}

// `dicomkit dump x | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

await main(process.argv.slice(2));
