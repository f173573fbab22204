import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { type Tag, tryParseTag } from '../core/index.ts';
import { lookupKeyword, lookupTag } from '../dictionary/index.ts';
import { dataSetToJson, dicomJsonToString } from '../json/index.ts';
import { readDicomFile, writeDicomFile } from '../object/file.node.ts';
import { DataSet, dumpDataSet } from '../object/index.ts';
import { QueryRetrieveModels } from '../services/index.ts';
import {
  addNetworkOptions,
  applicationEntity,
  Console,
  clientTls,
  NETWORK_ALIASES,
  type NetworkCliOptions,
  peerPort,
  reportFailure,
} from './common/network.ts';

export const FINDSCU_ALIASES = {
  ...NETWORK_ALIASES,
  '-P': '--patient',
  '-S': '--study',
  '-W': '--worklist',
  '-O': '--psonly',
  '-k': '--key',
  '-X': '--extract',
  '-od': '--output-directory',
};

interface FindscuOptions extends NetworkCliOptions {
  patient?: boolean;
  study?: boolean;
  worklist?: boolean;
  psonly?: boolean;
  key?: string[];
  extract?: boolean;
  outputDirectory: string;
  json?: boolean;
  cancel?: string;
}

function tagOfName(name: string): Tag {
  const tag = tryParseTag(name.replace(/^\(|\)$/g, '')) ?? lookupKeyword(name)?.tag;
  if (tag === undefined) throw new Error(`unknown attribute in -k: ${name}`);
  return tag;
}

/**
 * Applies a DCMTK -k key: `Keyword`, `gggg,eeee` or `(gggg,eeee)`, optionally `=value`, and a
 * path into sequences such as `ScheduledProcedureStepSequence[0].Modality=CT`.
 */
export function applyKey(identifier: DataSet, key: string): void {
  const eq = key.indexOf('=');
  const path = (eq >= 0 ? key.slice(0, eq) : key).trim();
  const value = eq >= 0 ? key.slice(eq + 1) : undefined;
  const steps = path.split('.');
  let target = identifier;
  for (const step of steps.slice(0, -1)) {
    const m = /^(.+?)\[(\d+)\]$/.exec(step) ?? [step, step, '0'];
    const tag = tagOfName(m[1]!);
    const items = target.sequence(tag) ?? [];
    const index = Number(m[2]);
    while (items.length <= index) items.push(new DataSet(target));
    if (!target.has(tag)) target.set(tag, items, 'SQ');
    else target.element(tag)!.items = items;
    target = items[index]!;
  }
  const last = steps[steps.length - 1]!;
  const tag = tagOfName(last);
  const vr = lookupTag(tag)?.vr;
  if (vr === 'SQ') {
    if (!target.has(tag)) target.set(tag, [], 'SQ');
    return;
  }
  target.set(tag, value === undefined || value === '' ? undefined : value.split('\\'));
}

/** `dicomkit findscu peer port [files...]`: DCMTK's findscu (C-FIND, PS3.4 Annex C and K). */
export function findscuCommand(): Command {
  return addNetworkOptions(
    new Command('findscu')
      .description('query a DICOM peer with C-FIND, as DCMTK findscu')
      .argument('<peer>', 'host name or address of the peer')
      .argument('<port>', 'TCP port of the peer')
      .argument('[files...]', 'query files (DICOM) to start from; -k keys override them')
      .option('--patient', 'Patient Root information model (DCMTK -P)')
      .option('--study', 'Study Root information model (DCMTK -S)')
      .option('--worklist', 'Modality Worklist information model (DCMTK -W)')
      .option('--psonly', 'Patient/Study Only information model (DCMTK -O, retired)')
      .option(
        '--key <key>',
        'a query key: Keyword, gggg,eeee or (gggg,eeee), with =value or without; Seq[0].Keyword=value for sequences (DCMTK -k), repeatable',
        (v, all: string[] = []) => [...all, v],
      )
      .option('--extract', 'write each response to rsp0001.dcm, rsp0002.dcm ... (DCMTK -X)')
      .option('--output-directory <dir>', 'where -X writes (DCMTK -od)', '.')
      .option('--json', 'print each response as DICOM JSON (PS3.18 Annex F) on stdout')
      .option('--cancel <n>', 'send C-CANCEL after n responses (DCMTK --cancel)'),
    { aet: 'FINDSCU' },
  ).action(async (peer: string, port: string, files: string[], options: FindscuOptions) => {
    const console = new Console(options);
    try {
      const model = options.worklist
        ? 'worklist'
        : options.patient
          ? 'patient'
          : options.psonly
            ? 'patientStudyOnly'
            : 'study';
      const sopClass = QueryRetrieveModels[model].find;
      const queries: DataSet[] = [];
      for (const file of files.length > 0 ? files : [undefined]) {
        const identifier = file ? (await readDicomFile(file)).dataset : new DataSet();
        for (const key of options.key ?? []) applyKey(identifier, key);
        queries.push(identifier);
      }
      const ae = applicationEntity(options, console);
      const tls = clientTls(options);
      console.info('Requesting Association');
      const assoc = await ae.associate({
        ...peerPort(peer, port),
        calledAeTitle: options.call,
        contexts: [
          {
            abstractSyntax: sopClass,
            transferSyntaxes: ['1.2.840.10008.1.2.1', '1.2.840.10008.1.2.2', '1.2.840.10008.1.2'],
          },
        ],
        ...(tls ? { tls } : {}),
      });
      console.info('Association Accepted');
      let written = 0;
      const cancelAfter = options.cancel ? Number(options.cancel) : undefined;
      for (const [n, identifier] of queries.entries()) {
        console.info(`Sending Find Request (MsgID ${n + 1})`);
        console.info(
          ['Request Identifiers:', '', '# Dicom-Data-Set', ...dumpDataSet(identifier), ''].join('\n'),
        );
        const controller = new AbortController();
        const finder = assoc.find(identifier, { model: sopClass, signal: controller.signal });
        let count = 0;
        let final: number | undefined;
        for (;;) {
          const next = await finder.next();
          if (next.done) {
            final = next.value;
            break;
          }
          count++;
          const response = next.value;
          if (!options.quiet) {
            const lines = [
              '---------------------------',
              `Find Response: ${count} (Pending)`,
              '',
              '# Dicom-Data-Set',
              ...dumpDataSet(response),
              '',
            ];
            for (const line of lines) process.stderr.write(`I: ${line}\n`);
          }
          if (options.json) process.stdout.write(`${dicomJsonToString(dataSetToJson(response), 2)}\n`);
          if (options.extract) {
            mkdirSync(options.outputDirectory, { recursive: true });
            const name = `rsp${String(++written).padStart(4, '0')}.dcm`;
            await writeDicomFile(join(options.outputDirectory, name), response, {
              transferSyntax: '1.2.840.10008.1.2.1',
            });
          }
          if (cancelAfter !== undefined && count === cancelAfter) {
            console.info(`Sending Cancel Request (MsgID ${n + 1})`);
            controller.abort();
          }
        }
        const status =
          final === 0
            ? 'Success'
            : final === 0xfe00
              ? 'Cancel: MatchingTerminatedDueToCancelRequest'
              : `0x${(final ?? 0).toString(16)}`;
        console.info(`Received Final Find Response (${status})`);
      }
      console.info('Releasing Association');
      await assoc.release();
    } catch (error) {
      process.exitCode = reportFailure(console, error);
    }
  });
}
