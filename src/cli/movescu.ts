import { Command } from 'commander';
import { DimseStatusError } from '../net/dimse/index.ts';
import {
  type Association,
  type DicomServer,
  QueryRetrieveModels,
  type RetrieveProgress,
} from '../services/index.ts';
import { dumpForLog } from './common/dataset-log.ts';
import { NET_EXIT } from './common/exit.ts';
import {
  addRequestorOptions,
  applicationEntity,
  Console,
  closeAssociation,
  NETWORK_ALIASES,
  openAssociation,
  repeatCount,
  reportFailure,
  serverTls,
  UsageError,
} from './common/network.ts';
import {
  addOutputEncodingOptions,
  OUTPUT_ENCODING_ALIASES,
  type OutputEncodingOptions,
  outputEncodingOf,
} from './common/output-encoding.ts';
import { queryIdentifiers } from './common/query-keys.ts';
import {
  addRetrieveOptions,
  finalLine,
  InvalidOutputDirectory,
  outputDirectory,
  RETRIEVE_ALIASES,
  type RetrieveCliOptions,
  retrieveSopClass,
  storeInto,
} from './common/retrieve.ts';
import { logServerEvents } from './common/server-events.ts';
import { statusText } from './common/status-text.ts';
import {
  acceptedSyntaxes,
  addPreferenceOptions,
  addProposalOptions,
  proposalOf,
} from './common/transfer-syntaxes.ts';

export const MOVESCU_ALIASES = {
  ...NETWORK_ALIASES,
  ...RETRIEVE_ALIASES,
  ...OUTPUT_ENCODING_ALIASES,
  '-aem': '--move',
  '+P': '--port',
  '-up': '--uid-padding',
  '-F': '--write-dataset',
  '+F': '--write-file',
  '-ac': '--access-full',
  '-dhl': '--disable-host-lookup',
  '-pi': '--pending-ignore',
  '-pr': '--pending-read',
};

interface MovescuOptions extends RetrieveCliOptions, OutputEncodingOptions {
  move?: string;
  /** False with --no-port (commander's negation of --port). */
  port?: string | false;
  host: string;
  cancel?: string;
  writeDataset?: boolean;
}

/**
 * `dicomkit movescu peer port [files...]`: DCMTK's movescu (C-MOVE, PS3.4 Annex C). With
 * --port it receives the sub-operations itself. Exit codes as movescu(1) documents them: 0,
 * 1 command line, 45 output directory, 60 cannot listen, 61 association not made, 66 no
 * presentation context, 67 release failed, 68 warning status, 69 failure status.
 */
export function movescuCommand(): Command {
  const command = new Command('movescu')
    .description('DICOM retrieve (C-MOVE) SCU, as DCMTK movescu; with --port, it receives the objects itself')
    .argument('<peer>', 'hostname of DICOM peer')
    .argument('<port>', 'tcp/ip port number of peer')
    .argument('[dcmfile-in...]', 'DICOM query file(s); -k keys override their attributes')
    .option('--move <aetitle>', 'set move destination AE title (DCMTK -aem, default: our AE title)')
    .option('--port <port>', 'port number for incoming associations (DCMTK +P / --port, default: none)')
    .option(
      '--host <address>',
      'address the --port listener binds to: all interfaces, as DCMTK (the peer must reach it)',
      '0.0.0.0',
    )
    .option('--cancel <n>', 'cancel after n responses (DCMTK --cancel, default: never)')
    .option('--uid-padding', 'silently correct space-padded UIDs (DCMTK -up; dicomkit always tolerates them)')
    .option('--no-port', 'no port for incoming associations (DCMTK --no-port, default)')
    .option('--write-file', 'write received objects in file format (DCMTK +F, default)')
    .option('--write-dataset', 'write received objects without file meta information (DCMTK -F)')
    .option('--access-full', 'accept connections from any host (DCMTK -ac, default)')
    .option('--disable-host-lookup', 'disable hostname lookup (DCMTK -dhl; dicomkit never looks hosts up)')
    .option('--pending-ignore', 'pending responses: any data set is read and ignored (DCMTK -pi)')
    .option('--pending-read', 'pending responses: read and ignore a data set (DCMTK -pr, always done here)');
  addRetrieveOptions(command);
  addPreferenceOptions(command, ' (for --port; default: +x=, the uncompressed ones)');
  addOutputEncodingOptions(command);
  addProposalOptions(command, 'query');
  return addRequestorOptions(command, { aet: 'MOVESCU', repeat: true, abort: true }).action(
    async (peer: string, port: string, files: string[], options: MovescuOptions) => {
      let console = new Console({});
      let server: DicomServer | undefined;
      let assoc: Association | undefined;
      let exitCode: number = NET_EXIT.ok;
      try {
        console = new Console(options, 'movescu');
        const sopClass = retrieveSopClass(options, 'move');
        const repeat = repeatCount(options);
        const cancelAfter = options.cancel === undefined ? undefined : Number(options.cancel);
        if (cancelAfter !== undefined && (!Number.isInteger(cancelAfter) || cancelAfter < 0))
          throw new UsageError(`--cancel: '${options.cancel}' is not a number of responses`);
        if (options.port === false) delete options.port;
        const dir = options.port !== undefined && !options.ignore ? outputDirectory(options) : undefined;
        const reencode = outputEncodingOf(options);
        const queries = await queryIdentifiers(files, options.key);
        const ae = applicationEntity(options, console);
        if (options.port !== undefined) {
          const listenPort = Number(options.port);
          if (!Number.isInteger(listenPort) || listenPort < 1 || listenPort > 65535)
            throw new UsageError(`--port: '${options.port}' is not a port number`);
          const tls = serverTls(options);
          try {
            server = await ae.listen({
              port: listenPort,
              host: options.host,
              handlers: { store: storeInto(dir, console, !options.writeDataset, reencode) },
              storageTransferSyntaxes: acceptedSyntaxes(
                options as unknown as Record<string, unknown>,
                'uncompressed',
              ),
              ...(tls ? { tls } : {}),
            });
          } catch (error) {
            console.fatal(`cannot create network: ${(error as Error).message}`);
            exitCode = NET_EXIT.cannotInitializeNetwork;
            return;
          }
          logServerEvents(server, console);
        }
        const proposal = proposalOf(options as unknown as Record<string, unknown>, 'query');
        const transferSyntaxes = [proposal.preferred, ...proposal.fallback];
        const model = Object.values(QueryRetrieveModels).find((m) => 'move' in m && m.move === sopClass)!;
        try {
          assoc = await openAssociation(
            ae,
            options,
            {
              peer,
              port,
              // As DCMTK's movescu: the model's FIND context too, then its MOVE context.
              contexts: [
                { abstractSyntax: model.find, transferSyntaxes },
                { abstractSyntax: sopClass, transferSyntaxes },
              ],
            },
            console,
          );
        } catch (error) {
          const kind = reportFailure(console, error);
          exitCode =
            kind === 'no-context' ? NET_EXIT.noPresentationContext : NET_EXIT.cannotNegotiateAssociation;
          return;
        }
        if (!assoc.contexts.some((c) => c.accepted && c.abstractSyntax === sopClass)) {
          console.fatal('No Acceptable Presentation Contexts');
          await assoc.abort();
          exitCode = NET_EXIT.noPresentationContext;
          return;
        }
        const destination = options.move ?? options.aetitle;
        let messageId = 0;
        for (const query of queries) {
          for (let n = 0; n < repeat; n++) {
            console.info(`Sending Move Request (MsgID ${++messageId})`);
            console.info(`Request Identifiers:\n${dumpForLog(query.identifier, query.transferSyntax)}`);
            let responses = 0;
            const controller = new AbortController();
            const onProgress = (p: RetrieveProgress): void => {
              responses++;
              console.info(`Received Move Response ${responses} (Pending)`);
              console.debug(
                `  remaining ${p.remaining ?? '-'}, completed ${p.completed}, failed ${p.failed}, warning ${p.warning}`,
              );
              if (cancelAfter === responses) controller.abort();
            };
            let status: number;
            try {
              const result = await assoc.move(query.identifier, destination, {
                model: sopClass,
                onProgress,
                signal: controller.signal,
              });
              status = result.status;
            } catch (error) {
              if (!(error instanceof DimseStatusError)) throw error;
              status = error.status;
            }
            console.info(finalLine('C-MOVE', status));
            if (status === 0xb000) {
              if (exitCode === NET_EXIT.ok) exitCode = NET_EXIT.cmoveWarning;
              console.warn(`Move response with warning status (${statusText('C-MOVE', status)})`);
            } else if (status !== 0 && status !== 0xfe00) {
              exitCode = NET_EXIT.cmoveError;
              console.warn(`Move response with error status (${statusText('C-MOVE', status)})`);
            }
          }
        }
        try {
          await closeAssociation(assoc, options, console);
        } catch (error) {
          reportFailure(console, error);
          exitCode = NET_EXIT.cannotCloseAssociation;
        }
      } catch (error) {
        const kind = reportFailure(console, error);
        if (error instanceof InvalidOutputDirectory) exitCode = NET_EXIT.invalidOutputDirectory;
        else if (kind === 'usage') exitCode = NET_EXIT.commandLine;
        else exitCode = NET_EXIT.cmoveError;
        if (assoc?.isEstablished) await assoc.abort();
      } finally {
        await server?.close({ abort: true });
        process.exitCode = exitCode;
      }
    },
  );
}
