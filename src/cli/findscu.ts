import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  openSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { Command } from 'commander';
import {
  DCMTK_XML_RESPONSES_HEAD,
  DCMTK_XML_RESPONSES_TAIL,
  dataSetToDcmtkXml,
  dataSetToJson,
  dcmtkXmlResponse,
  dicomJsonToString,
} from '../json/index.ts';
import { DimseStatusError } from '../net/dimse/index.ts';
import { DataSet } from '../object/dataset.ts';
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
import {
  addCompressionLevelOption,
  addProposalOptions,
  COMPRESSION_LEVEL_ALIASES,
  compressionLevelOf,
  proposalAliases,
  proposalOf,
} from './common/transfer-syntaxes.ts';

export { applyKey } from './common/query-keys.ts';

/** What DCMTK's +cl needs beside it in this tool. */
const FINDSCU_CL_ONLY_WITH = '--propose-deflated';

export const FINDSCU_ALIASES = {
  ...NETWORK_ALIASES,
  ...proposalAliases('query'),
  ...COMPRESSION_LEVEL_ALIASES,
  '-W': '--worklist',
  '-P': '--patient',
  '-S': '--study',
  '-O': '--psonly',
  '-k': '--key',
  '+sr': '--show-responses',
  '-sr': '--hide-responses',
  '-X': '--extract',
  '-Xx': '--extract-xml',
  '-Xs': '--extract-xml-single',
  '-Xlo': '--limit-output',
  '-od': '--output-directory',
  '-dc': '--disable-correction',
  '-u': '--disable-new-vr',
};

interface FindscuOptions extends NetworkCliOptions {
  compressionLevel?: string;
  proposeDeflated?: boolean;
  worklist?: boolean;
  patient?: boolean;
  study?: boolean;
  psonly?: boolean;
  key?: string[];
  showResponses?: boolean;
  hideResponses?: boolean;
  extract?: boolean;
  extractXml?: boolean;
  extractXmlSingle?: string;
  /** Which of -X, -Xx, -Xs came last (DCMTK evaluates them as one block: the last counts). */
  extraction?: Extraction;
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
  addCompressionLevelOption(addProposalOptions(command, 'query'), FINDSCU_CL_ONLY_WITH)
    .option('--cancel <n>', 'cancel after n responses (DCMTK --cancel, default: never)')
    .option('--output-directory <dir>', 'write output files to existing directory dir (DCMTK -od)', '.')
    .option(
      '--disable-correction',
      "disable automatic data correction of query files (DCMTK -dc, its default; always: dicomkit's reader makes no corrections)",
    )
    .option('--disable-new-vr', 'disable support for new VRs, convert to OB (DCMTK -u)')
    .option('--show-responses', 'always output responses to the logger (DCMTK +sr)')
    .option('--hide-responses', 'do not output responses to the logger (DCMTK -sr)')
    .option('--extract', 'extract responses to DICOM files rsp0001.dcm... (DCMTK -X)')
    .option('--extract-xml', 'extract responses to XML files rsp0001.xml... in DCMTK format (DCMTK -Xx)')
    .option('--extract-xml-single <file>', 'extract all responses to one XML file (DCMTK -Xs)')
    .option(
      '--limit-output <n>',
      'limit number of responses extracted to file to n, with -X, -Xx or -Xs (DCMTK -Xlo)',
    )
    .option('--json', 'print each response as DICOM JSON (PS3.18 Annex F) on stdout, one per line');
  for (const [name, mode] of [
    ['extract', 'dicom'],
    ['extract-xml', 'xml'],
    ['extract-xml-single', 'xml-single'],
  ] as const) {
    command.on(`option:${name}`, () => command.setOptionValue('extraction', mode));
  }
  return addRequestorOptions(command, { aet: 'FINDSCU', repeat: true, abort: true }).action(
    async (peer: string, port: string, files: string[], options: FindscuOptions) => {
      let console = new Console({});
      let assoc: Association | undefined;
      let queriesStarted = false;
      let single: number | undefined;
      let singlePath: string | undefined;
      const closeSingle = (): void => {
        if (single === undefined) return;
        writeSync(single, DCMTK_XML_RESPONSES_TAIL);
        closeSync(single);
        single = undefined;
      };
      try {
        console = new Console(options, 'findscu');
        // Checked first, as DCMTK checks its flags before it looks for a query.
        const deflateLevel = compressionLevelOf(options, FINDSCU_CL_ONLY_WITH);
        const sopClass = modelOf(options);
        const repeat = repeatCount(options);
        const extraction = extractionOf(options);
        const extractLimit = limitOf(options, extraction);
        const cancelAfter = options.cancel === undefined ? undefined : Number(options.cancel);
        if (cancelAfter !== undefined && (!Number.isInteger(cancelAfter) || cancelAfter < 0))
          throw new UsageError(`--cancel: '${options.cancel}' is not a number of responses`);
        const queries = await queryIdentifiers(files, options.key);
        if (extraction !== undefined) checkOutputDirectory(options.outputDirectory);
        // From here on a failure is the queries' (DCMTK's findscu exits 2 for those).
        queriesStarted = true;
        if (extraction === 'xml-single') singlePath = singleFileOf(options);
        // DCMTK's response logger: on by default, off with -X, -Xx, -Xs or -q, as the log level says otherwise.
        const defaultLevel =
          !options.quiet && !options.verbose && !options.debug && options.logLevel === undefined;
        const showResponses = options.hideResponses
          ? false
          : options.showResponses || (extraction === undefined && (defaultLevel || console.enabled('info')));
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
            ...(deflateLevel === undefined ? {} : { deflateLevel }),
          },
          console,
        );
        const context = assoc.findContext(sopClass);
        // -Xs: the document is opened once the association is accepted and closed after the
        // last query, whatever happened in between (as DCMTK's findscu does).
        if (extraction === 'xml-single') {
          console.info(`Writing all response datasets to file: ${singlePath}`);
          try {
            single = openSync(singlePath!, 'w');
            writeSync(single, DCMTK_XML_RESPONSES_HEAD);
          } catch (error) {
            // As DCMTK's findscu: the queries go on, their responses are not written.
            console.error(`Writing file: ${singlePath}: ${(error as Error).message}`);
          }
        }
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
                if (extraction !== undefined && responses > extractLimit) {
                  if (responses === extractLimit + 1) {
                    console.info(
                      'Maximum number of responses already written to file ... not writing this and all following responses to file',
                    );
                  } else {
                    console.debug(
                      'Maximum number of responses already written to file ... not writing this response to file',
                    );
                  }
                } else if (extraction === 'dicom') {
                  const path = join(options.outputDirectory, `rsp${String(responses).padStart(4, '0')}.dcm`);
                  console.info(`Writing response dataset to file: ${path}`);
                  await writeDicomFile(path, response, { transferSyntax: '1.2.840.10008.1.2.1' });
                } else if (extraction === 'xml') {
                  const path = join(options.outputDirectory, `rsp${String(responses).padStart(4, '0')}.xml`);
                  console.info(`Writing response dataset to file: ${path}`);
                  writeResponseXml(path, response, context.transferSyntax!, console);
                } else if (extraction === 'xml-single' && single !== undefined) {
                  console.debug('Writing response dataset to XML file');
                  writeSync(single, dcmtkXmlResponse(response, context.transferSyntax!));
                }
                if (cancelAfter === responses) {
                  console.info(`Sending Cancel Request (MsgID ${id}, PresID ${context.id})`);
                  controller.abort();
                }
              }
            } catch (error) {
              if (!(error instanceof DimseStatusError)) throw error;
              // A failure status ends this query, not the run (DCMTK goes on and exits 0).
              const line = `Received Final Find Response (${statusText('C-FIND', error.status)})`;
              if (console.verbose) {
                // As DCMTK's findscu: the status at info, its detail (the comment) at debug.
                console.info(line);
                if (error.errorComment) console.debug(`Status Detail:\n${statusDetail(error.errorComment)}`);
              } else {
                console.warn(error.errorComment ? `${line}: ${error.errorComment}` : line);
              }
              continue;
            }
            console.info(`Received Final Find Response (${statusText('C-FIND', final)})`);
          }
        }
        closeSingle();
        await closeAssociation(assoc, options, console);
      } catch (error) {
        closeSingle();
        reportFailure(console, error);
        process.exitCode = queriesStarted ? FINDSCU_QUERY_FAILED : NET_EXIT.failure;
        if (assoc?.isEstablished) await assoc.abort();
      }
    },
  );
}

/**
 * DCMTK's findscu exit code when the queries fail after a valid command line: the association
 * not made or not usable, a response file not created (1 is for command-line errors).
 */
const FINDSCU_QUERY_FAILED = 2;

type Extraction = 'dicom' | 'xml' | 'xml-single';

/** -X, -Xx or -Xs: the last one given, as in DCMTK's option block. */
function extractionOf(options: FindscuOptions): Extraction | undefined {
  if (options.extraction !== undefined) return options.extraction;
  // Set without the command line's events (a caller passing options): the same order of preference.
  if (options.extractXmlSingle !== undefined) return 'xml-single';
  if (options.extractXml) return 'xml';
  return options.extract ? 'dicom' : undefined;
}

/** -Xlo n: at most n responses written to files; DCMTK's checks. */
function limitOf(options: FindscuOptions, extraction: Extraction | undefined): number {
  if (options.limitOutput === undefined) return Number.POSITIVE_INFINITY;
  if (extraction === undefined)
    throw new UsageError('--limit-output only allowed with --extract, --extract-xml or --extract-xml-single');
  const n = Number(options.limitOutput);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`--limit-output: '${options.limitOutput}' is not a positive number`);
  return n;
}

/** DCMTK's findscu refuses to extract into a directory that does not exist or cannot be written. */
function checkOutputDirectory(dir: string): void {
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new UsageError('specified output directory does not exist');
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw new UsageError('specified output directory is not writeable');
  }
}

/** -Xs FILE: relative to the output directory (-od) unless absolute, as DCMTK combines them. */
function singleFileOf(options: FindscuOptions): string {
  const name = options.extractXmlSingle!;
  if (name.length === 0) throw new Error('Cannot create response file with empty filename');
  return isAbsolute(name) ? name : join(options.outputDirectory, name);
}

/**
 * -Xx: one response as a DCMTK-format XML document with `<data-set>` at the top, in the
 * encoding its (0008,0005) names (findscu declares none when it is absent).
 */
function writeResponseXml(path: string, response: DataSet, transferSyntax: string, console: Console): void {
  try {
    writeFileSync(path, dataSetToDcmtkXml(response, { declaration: 'findscu', transferSyntax }));
  } catch (error) {
    // As DCMTK's findscu: the response is not written, the query goes on.
    console.error(`Writing file: ${path}: ${(error as Error).message}`);
  }
}

/** The status detail of a response as DCMTK's findscu logs it at debug: the Error Comment element. */
function statusDetail(errorComment: string): string {
  const detail = new DataSet();
  detail.set('ErrorComment', errorComment);
  return dumpForLog(detail, '1.2.840.10008.1.2');
}
