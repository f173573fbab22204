#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import {
  argumentsLine,
  type DcmtkAliases,
  EndOfRun,
  expandCommandFiles,
  translateDcmtkArgs,
} from './common/dcmtk-args.ts';
import { LOG_LEVELS, type LogConfig, loadLogConfig } from './common/log-config.ts';

/**
 * Options of DCMTK's tools that act alone (OFCommandLine's exclusive options): with one of
 * them the tool needs none of its parameters (`echoscu +cc` lists the ciphersuites).
 */
const EXCLUSIVE_OPTIONS = new Set(['--list-ciphers', '--verify-cert', '--is-root-cert']);

interface CommandModule {
  command(): Command;
  /** DCMTK's spellings of the command's options. */
  aliases?: DcmtkAliases;
}

/**
 * Every command, in the order `--help` lists them, loaded on demand: a run loads only its own
 * command's modules (the pixel codecs are not parsed for a storescu), which shortens start-up.
 */
const COMMANDS: Record<string, () => Promise<CommandModule>> = {
  dump: async () => {
    const m = await import('./dump.ts');
    return { command: m.dumpCommand, aliases: m.DUMP_ALIASES };
  },
  dump2dcm: async () => {
    const m = await import('./dump2dcm.ts');
    return { command: m.dump2dcmCommand, aliases: m.DUMP2DCM_ALIASES };
  },
  json: async () => ({ command: (await import('./json.ts')).jsonCommand }),
  xml: async () => {
    const m = await import('./xml.ts');
    return { command: m.xmlCommand, aliases: m.XML_ALIASES };
  },
  json2dcm: async () => ({ command: (await import('./json.ts')).json2dcmCommand }),
  pacs: async () => ({ command: (await import('./pacs.ts')).pacsCommand }),
  echoscu: async () => {
    const m = await import('./echoscu.ts');
    return { command: m.echoscuCommand, aliases: m.ECHOSCU_ALIASES };
  },
  storescu: async () => {
    const m = await import('./storescu.ts');
    return { command: m.storescuCommand, aliases: m.STORESCU_ALIASES };
  },
  findscu: async () => {
    const m = await import('./findscu.ts');
    return { command: m.findscuCommand, aliases: m.FINDSCU_ALIASES };
  },
  storescp: async () => {
    const m = await import('./storescp.ts');
    return { command: m.storescpCommand, aliases: m.STORESCP_ALIASES };
  },
  movescu: async () => {
    const m = await import('./movescu.ts');
    return { command: m.movescuCommand, aliases: m.MOVESCU_ALIASES };
  },
  getscu: async () => {
    const m = await import('./getscu.ts');
    return { command: m.getscuCommand, aliases: m.GETSCU_ALIASES };
  },
  render: async () => ({ command: (await import('./pixel.ts')).renderCommand }),
  mpr: async () => ({ command: (await import('./mpr.ts')).mprCommand }),
  transcode: async () => ({ command: (await import('./pixel.ts')).transcodeCommand }),
};

const VERSION = '0.1.0';

export async function main(argv: readonly string[]): Promise<void> {
  const program = new Command('dicomkit')
    .description('DICOM toolkit and PACS: files, network tools compatible with DCMTK, and a PACS server')
    .version(VERSION)
    .showHelpAfterError();
  const [command, ...rest] = argv;
  // A known command loads alone, --version none; anything else (help, a typo) needs the list.
  const names =
    command !== undefined && Object.hasOwn(COMMANDS, command)
      ? [command]
      : argv.length === 1 && (command === '--version' || command === '-V')
        ? []
        : Object.keys(COMMANDS);
  const loaded = await Promise.all(names.map((name) => COMMANDS[name]!()));
  for (const m of loaded) program.addCommand(m.command());
  program.exitOverride();
  // DCMTK's spellings become long options; an option's value is never taken for a spelling.
  const aliases = names.length === 1 ? loaded[0]!.aliases : undefined;
  const sub = program.commands.find((c) => c.name() === command);
  const takesValue = (long: string): boolean =>
    sub?.options.some((o) => o.long === long && (o.required || o.optional)) ?? false;
  let args: string[];
  try {
    args = aliases
      ? [command!, ...translateDcmtkArgs(expandCommandFiles(rest, readCommandFile), aliases, takesValue)]
      : [...argv];
  } catch (error) {
    process.stderr.write(`F: ${(error as Error).message}\n`);
    process.exitCode = 1;
    return;
  }
  if (sub && aliases && args.includes('--version')) {
    // DCMTK's tools print their version and the libraries they use.
    process.stdout.write(
      `dicomkit ${command}: v${VERSION}\n\nExternal libraries used:\n- Node.js ${process.version}\n- OpenSSL ${process.versions.openssl}\n- zlib ${process.versions.zlib}\n`,
    );
    return;
  }
  if (sub && args.some((arg) => EXCLUSIVE_OPTIONS.has(arg))) {
    for (const argument of sub.registeredArguments) argument.required = false;
  }
  if (aliases && args.includes('--arguments')) logArguments(command!, args);
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (error) {
    if (error instanceof EndOfRun) {
      process.exitCode = error.exitCode;
      return;
    }
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode === 0 ? 0 : 1;
      return;
    }
    process.stderr.write(`E: ${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}

function readCommandFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read command file ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
}

/**
 * DCMTK's --arguments: the expanded command line, logged at INFO before anything else, to
 * stderr or (with -lc) through the configuration, by its root logger as DCMTK's tools do.
 */
function logArguments(command: string, args: readonly string[]): void {
  const line = argumentsLine(command, args.slice(1));
  const configAt = args.indexOf('--log-config');
  const configPath = configAt >= 0 ? args[configAt + 1] : undefined;
  if (configPath === undefined) {
    if (logsInfo(args)) process.stderr.write(`I: ${line}\nI: \n`);
    return;
  }
  let config: LogConfig;
  try {
    config = loadLogConfig(configPath, LOG_CONFIG_NAMES[command] ?? command);
  } catch {
    return; // the tool reports a bad -lc file itself
  }
  // As DCMTK's: one event of the root logger whose message ends in a newline.
  config.log('root', LEVEL_INFO, `${line}\n`);
}

/** The names DCMTK's tools go by in -lc files, where ours differ. */
const LOG_CONFIG_NAMES: Record<string, string> = { dump: 'dcmdump', xml: 'dcm2xml' };
const LEVEL_INFO = LOG_LEVELS.indexOf('INFO');

/** Whether DCMTK's tools would print info lines for these (long) options. */
function logsInfo(args: readonly string[]): boolean {
  const level = args.indexOf('--log-level');
  if (level >= 0) return ['info', 'debug', 'trace'].includes(args[level + 1] ?? '');
  return args.includes('--verbose') || args.includes('--debug');
}

// `dicomkit dump x | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

// Not a top-level await: the CLI bundle is a CommonJS script (see bin/load-bundle.js).
void main(process.argv.slice(2));
