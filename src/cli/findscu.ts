import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { dataSetToJson, dicomJsonToString } from '../json/index.ts';
import { DimseStatusError } from '../net/dimse/index.ts';
import { writeDicomFile } from '../object/file.node.ts';
import { type Association, QueryRetrieveModels } from '../services/index.ts';
import { dumpForLog } from './common/dataset-log.ts';
import { NET_EXIT } from './common/exit.ts';
import {
  addRequestorOptions,
  applicationEntity,
  Console,
  closeAssociation,
  NETWORK_ALIASES,
  type NetworkCliOptions,
  openAssociation,
  repeatCount,
  reportFailure,
  UsageError,
} from './common/network.ts';
import { queryIdentifiers } from './common/query-keys.ts';
import { statusText } from './common/status-text.ts';
import { addProposalOptions, proposalAliases, proposalOf } from './common/transfer-syntaxes.ts';

export { applyKey } from './common/query-keys.ts';

export const FINDSCU_ALIASES = {
  ...NETWORK_ALIASES,
  ...proposalAliases('query'),
  '-W': '--worklist',
  '-P': '--patient',
  '-S': '--study',
  '-O': '--psonly',
  '-k': '--key',
  '+sr': '--show-responses',
  '-sr': '--hide-responses',
  '-X': '--extract',
  '-Xlo': '--limit-output',
  '-od': '--output-directory',
};

interface FindscuOptions extends NetworkCliOptions {
  worklist?: boolean;
  patient?: boolean;
  study?: boolean;
  psonly?: boolean;
  key?: string[];
  showResponses?: boolean;
  hideResponses?: boolean;
  extract?: boolean;
  limitOutput?: string;
  outputDirectory: string;
  json?: boolean;
  cancel?: string;
}

function modelOf(options: FindscuOptions): string {
  const chosen = [options.worklist, options.patient, options.study, options.psonly].filter(Boolean).length;
  if (chosen > 1) throw new UsageError('choose one information model: -W, -P, -S or -O');
  if (options.patient) return QueryRetrieveModels.patient.find;
  if (options.study) return QueryRetrieveModels.study.find;
  if (options.psonly) return QueryRetrieveModels.patientStudyOnly.find;
  return QueryRetrieveModels.worklist.find;
}

/**
 * `dicomkit findscu peer port [files...]`: DCMTK's findscu (C-FIND, PS3.4 Annex C and K).
 * As DCMTK's: the worklist model by default; responses printed unless -X (or +sr/-sr say
 * otherwise); exit code 1 when no association is made, 0 once the queries ran, even when the
 * peer answered a failure (that is printed).
 */
export function findscuCommand(): Command {
  const command = new Command('findscu')
    .description('DICOM query (C-FIND) SCU, as DCMTK findscu')
    .argument('<peer>', 'hostname of DICOM peer')
    .argument('<port>', 'tcp/ip port number of peer')
    .argument('[dcmfile-in...]', 'DICOM query file(s); -k keys override their attributes')
    .option(
      '--key <key>',
      'override matching key: gggg,eeee="str", (gggg,eeee)="str", a dictionary name, or a path such as ScheduledProcedureStepSequence[0].Modality=CT; without a value, a return key (DCMTK -k), repeatable',
      (v: string, all: string[] = []) => [...all, v],
    )
    .option('--worklist', 'use modality worklist information model (DCMTK -W, default)')
    .option('--patient', 'use patient root information model (DCMTK -P)')
    .option('--study', 'use study root information model (DCMTK -S)')
    .option('--psonly', 'use patient/study only information model (DCMTK -O)');
  addProposalOptions(command, 'query')
    .option('--cancel <n>', 'cancel after n responses (DCMTK --cancel, default: never)')
    .option('--output-directory <dir>', 'write output files to existing directory dir (DCMTK -od)', '.')
    .option('--show-responses', 'always output responses to the logger (DCMTK +sr)')
    .option('--hide-responses', 'do not output responses to the logger (DCMTK -sr)')
    .option('--extract', 'extract responses to DICOM files rsp0001.dcm... (DCMTK -X)')
    .option('--limit-output <n>', 'limit number of responses extracted to file to n, with -X (DCMTK -Xlo)')
    .option('--json', 'print each response as DICOM JSON (PS3.18 Annex F) on stdout, one per line');
  return addRequestorOptions(command, { aet: 'FINDSCU', repeat: true, abort: true }).action(
    async (peer: string, port: string, files: string[], options: FindscuOptions) => {
      let console = new Console({});
      let assoc: Association | undefined;
      try {
        console = new Console(options);
        const sopClass = modelOf(options);
        const repeat = repeatCount(options);
        const extractLimit = limitOf(options);
        const cancelAfter = options.cancel === undefined ? undefined : Number(options.cancel);
        if (cancelAfter !== undefined && (!Number.isInteger(cancelAfter) || cancelAfter < 0))
          throw new UsageError(`--cancel: '${options.cancel}' is not a number of responses`);
        const queries = await queryIdentifiers(files, options.key);
        // DCMTK's response logger: on by default, off with -X or -q, as the log level says otherwise.
        const defaultLevel =
          !options.quiet && !options.verbose && !options.debug && options.logLevel === undefined;
        const showResponses = options.hideResponses
          ? false
          : options.showResponses || (!options.extract && (defaultLevel || console.enabled('info')));
        const proposal = proposalOf(options as unknown as Record<string, unknown>, 'query');
        const ae = applicationEntity(options, console);
        assoc = await openAssociation(
          ae,
          options,
          {
            peer,
            port,
            contexts: [
              { abstractSyntax: sopClass, transferSyntaxes: [proposal.preferred, ...proposal.fallback] },
            ],
          },
          console,
        );
        const context = assoc.findContext(sopClass);
        let responses = 0;
        let messageId = 0;
        for (const query of queries) {
          for (let n = 0; n < repeat; n++) {
            const id = ++messageId;
            console.info(`Sending Find Request (MsgID ${id})`);
            console.info(`Request Identifiers:\n${dumpForLog(query.identifier, query.transferSyntax)}`);
            const controller = new AbortController();
            const finder = assoc.find(query.identifier, { model: sopClass, signal: controller.signal });
            let final: number;
            try {
              for (;;) {
                const next = await finder.next();
                if (next.done) {
                  final = next.value;
                  break;
                }
                const response = next.value;
                responses++;
                if (showResponses) {
                  process.stderr.write(
                    `${[
                      '---------------------------',
                      `Find Response: ${responses} (Pending)`,
                      dumpForLog(response, context.transferSyntax!),
                    ]
                      .join('\n')
                      .split('\n')
                      .map((line) => `I: ${line}`)
                      .join('\n')}\n`,
                  );
                } else {
                  console.info(`Received Find Response ${responses} (Pending)`);
                }
                if (options.json) process.stdout.write(`${dicomJsonToString(dataSetToJson(response))}\n`);
                if (options.extract && responses <= extractLimit) {
                  mkdirSync(options.outputDirectory, { recursive: true });
                  const path = join(options.outputDirectory, `rsp${String(responses).padStart(4, '0')}.dcm`);
                  console.info(`Writing response dataset to file: ${path}`);
                  await writeDicomFile(path, response, { transferSyntax: '1.2.840.10008.1.2.1' });
                }
                if (cancelAfter === responses) {
                  console.info(`Sending Cancel Request (MsgID ${id}, PresID ${context.id})`);
                  controller.abort();
                }
              }
            } catch (error) {
              if (!(error instanceof DimseStatusError)) throw error;
              // A failure status ends this query, not the run (DCMTK goes on and exits 0).
              const line = `Received Final Find Response (${statusText('C-FIND', error.status)})${error.errorComment ? `: ${error.errorComment}` : ''}`;
              if (console.verbose) console.info(line);
              else console.warn(line);
              continue;
            }
            console.info(`Received Final Find Response (${statusText('C-FIND', final)})`);
          }
        }
        await closeAssociation(assoc, options, console);
      } catch (error) {
        reportFailure(console, error);
        process.exitCode = NET_EXIT.failure;
        if (assoc?.isEstablished) await assoc.abort();
      }
    },
  );
}

/** -Xlo n: at most n responses written to files; DCMTK's checks. */
function limitOf(options: FindscuOptions): number {
  if (options.limitOutput === undefined) return Number.POSITIVE_INFINITY;
  if (!options.extract) throw new UsageError('--limit-output only allowed with --extract');
  const n = Number(options.limitOutput);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`--limit-output: '${options.limitOutput}' is not a positive number`);
  return n;
}
