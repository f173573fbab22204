#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { type DcmtkAliases, translateDcmtkArgs } from './common/dcmtk-args.ts';
import { DUMP_ALIASES, dumpCommand } from './dump.ts';
import { DUMP2DCM_ALIASES, dump2dcmCommand } from './dump2dcm.ts';
import { ECHOSCU_ALIASES, echoscuCommand } from './echoscu.ts';
import { FINDSCU_ALIASES, findscuCommand } from './findscu.ts';
import { GETSCU_ALIASES, getscuCommand } from './getscu.ts';
import { json2dcmCommand, jsonCommand } from './json.ts';
import { MOVESCU_ALIASES, movescuCommand } from './movescu.ts';
import { mprCommand } from './mpr.ts';
import { pacsCommand } from './pacs.ts';
import { renderCommand, transcodeCommand } from './pixel.ts';
import { STORESCP_ALIASES, storescpCommand } from './storescp.ts';
import { STORESCU_ALIASES, storescuCommand } from './storescu.ts';

const ALIASES: Record<string, DcmtkAliases> = {
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
    .addCommand(mprCommand())
    .addCommand(transcodeCommand());
  program.exitOverride();
  // DCMTK's spellings become long options; an option's value is never taken for a spelling.
  const [command, ...rest] = argv;
  const aliases = command ? ALIASES[command] : undefined;
  const sub = program.commands.find((c) => c.name() === command);
  const takesValue = (long: string): boolean =>
    sub?.options.some((o) => o.long === long && (o.required || o.optional)) ?? false;
  const args = aliases ? [command!, ...translateDcmtkArgs(rest, aliases, takesValue)] : [...argv];
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
