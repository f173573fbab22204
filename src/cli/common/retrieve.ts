import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import {
  QueryRetrieveModels,
  type RequestContext,
  type StoreRequest,
  type WrittenFile,
} from '../../services/index.ts';
import type { DcmtkAliases } from './dcmtk-args.ts';
import { modalityOf, receivedFileName } from './file-names.ts';
import type { Console, NetworkCliOptions } from './network.ts';
import { UsageError } from './network.ts';
import { type Reencoding, reencodeFile } from './output-encoding.ts';
import { statusText } from './status-text.ts';
import { preferenceAliases, proposalAliases } from './transfer-syntaxes.ts';

/** DCMTK's spellings shared by movescu and getscu. */
export const RETRIEVE_ALIASES: DcmtkAliases = {
  ...proposalAliases('query'),
  ...preferenceAliases(),
  '-P': '--patient',
  '-S': '--study',
  '-O': '--psonly',
  '-k': '--key',
  '-od': '--output-directory',
  '-B': '--normal',
  '+B': '--bit-preserving',
};

export interface RetrieveCliOptions extends NetworkCliOptions {
  patient?: boolean;
  study?: boolean;
  psonly?: boolean;
  key?: string[];
  outputDirectory?: string;
  ignore?: boolean;
}

export function addRetrieveOptions(command: Command): Command {
  return command
    .option(
      '--key <key>',
      'override matching key: gggg,eeee="str", (gggg,eeee)="str", a dictionary name or a sequence path, as in findscu (DCMTK -k), repeatable',
      (v: string, all: string[] = []) => [...all, v],
    )
    .option('--patient', 'use patient root information model (DCMTK -P, default)')
    .option('--study', 'use study root information model (DCMTK -S)')
    .option('--psonly', 'use patient/study only information model (DCMTK -O)')
    .option(
      '--output-directory <dir>',
      'write received objects to existing directory dir (DCMTK -od, default .)',
    )
    .option('--ignore', 'ignore store data, receive but do not store (DCMTK --ignore)')
    .option('--normal', 'accepted for DCMTK compatibility (DCMTK -B): objects are always written as received')
    .option('--bit-preserving', 'write data exactly as read (DCMTK +B, always the case here)');
}

/** The Q/R model's SOP class for the operation; patient root by default, as DCMTK's movescu and getscu. */
export function retrieveSopClass(options: RetrieveCliOptions, operation: 'move' | 'get'): string {
  const chosen = [options.patient, options.study, options.psonly].filter(Boolean).length;
  if (chosen > 1) throw new UsageError('choose one information model: -P, -S or -O');
  const model = options.study ? 'study' : options.psonly ? 'patientStudyOnly' : 'patient';
  return QueryRetrieveModels[model][operation];
}

/** The output directory, which must exist (DCMTK: "write received objects to existing directory"). */
export function outputDirectory(options: RetrieveCliOptions): string {
  const dir = options.outputDirectory ?? '.';
  if (options.ignore && options.outputDirectory !== undefined)
    throw new UsageError('--output-directory and --ignore exclude each other');
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new InvalidOutputDirectory(`specified output directory does not exist: ${dir}`);
  return dir;
}

export class InvalidOutputDirectory extends UsageError {}

/**
 * Serves the C-STORE sub-operations of a retrieve: writes each instance as it arrives, named
 * `<modality>.<SOP Instance UID>` as DCMTK names them, re-encoded when the output options ask
 * (DCMTK movescu +te ... -e), or reads and drops it with --ignore.
 */
export function storeInto(dir: string | undefined, console: Console, fileMeta = true, reencode?: Reencoding) {
  return async (
    req: StoreRequest,
    ctx: RequestContext,
  ): Promise<WrittenFile | undefined | { status: number; errorComment: string }> => {
    console.info(`Received Store Request (MsgID ${ctx.messageId}, ${modalityOf(req.sopClassUid, 'OT')})`);
    if (dir === undefined) {
      req.data.discard();
      return undefined;
    }
    let name: string;
    try {
      name = receivedFileName(req.sopClassUid, req.sopInstanceUid);
    } catch (error) {
      req.data.discard();
      console.error((error as Error).message);
      return { status: 0xc000, errorComment: (error as Error).message };
    }
    const path = join(dir, name);
    console.info(`Storing DICOM file: ${path}`);
    const written = await req.writeFile(path, fileMeta ? {} : { fileMeta: false });
    if (reencode) await reencodeFile(path, reencode, !fileMeta, console);
    return written;
  };
}

/** "Received Final Move Response (Success)" and the sub-operation counts, as DCMTK words them. */
export function finalLine(service: 'C-MOVE' | 'C-GET', status: number): string {
  return `Received Final ${service === 'C-MOVE' ? 'Move' : 'Get'} Response (${statusText(service, status)})`;
}
