import { Command } from 'commander';
import { DimseStatusError } from '../net/dimse/index.ts';
import { type Association, getStorageContexts, type RetrieveProgress } from '../services/index.ts';
import { DCMTK_LONG_SCU_STORAGE_SOP_CLASSES } from './common/dcmtk-tables.ts';
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
} from './common/network.ts';
import { queryIdentifiers } from './common/query-keys.ts';
import {
  addRetrieveOptions,
  outputDirectory,
  RETRIEVE_ALIASES,
  type RetrieveCliOptions,
  retrieveSopClass,
  storeInto,
} from './common/retrieve.ts';
import { statusText } from './common/status-text.ts';
import {
  acceptedSyntaxes,
  addPreferenceOptions,
  addProposalOptions,
  proposalOf,
} from './common/transfer-syntaxes.ts';

const { '+xa': _acceptAll, ...GETSCU_PREFERENCES } = RETRIEVE_ALIASES as Record<string, string>;
export const GETSCU_ALIASES = { ...NETWORK_ALIASES, ...GETSCU_PREFERENCES };

/** DCMTK's getscu offers the Storage SCP role for this many storage classes (+ its C-GET context). */
const STORAGE_CONTEXTS = 120;

/**
 * `dicomkit getscu peer port [files...]`: DCMTK's getscu (C-GET, PS3.4 Annex C): the objects
 * come back as C-STORE sub-operations on the same association, for which it offers the Storage
 * SCP role of the storage classes DCMTK's getscu offers. Patient root by default, as DCMTK.
 * Exit code 1 when the association is not made; 0 once the retrieve ran (as DCMTK), with one
 * line when its final status is not Success.
 */
export function getscuCommand(): Command {
  const command = new Command('getscu')
    .description('DICOM retrieve (C-GET) SCU, as DCMTK getscu: the objects come back on the same association')
    .argument('<peer>', 'hostname of DICOM peer')
    .argument('<port>', 'tcp/ip port number of peer')
    .argument('[dcmfile-in...]', 'DICOM query file(s); -k keys override their attributes');
  addRetrieveOptions(command);
  addPreferenceOptions(command, false);
  addProposalOptions(command, 'query');
  return addRequestorOptions(command, { aet: 'GETSCU', repeat: true, abort: true }).action(
    async (peer: string, port: string, files: string[], options: RetrieveCliOptions) => {
      let console = new Console({});
      let assoc: Association | undefined;
      try {
        console = new Console(options, 'getscu');
        const sopClass = retrieveSopClass(options, 'get');
        const repeat = repeatCount(options);
        const dir = options.ignore ? undefined : outputDirectory(options);
        const queries = await queryIdentifiers(files, options.key);
        const ae = applicationEntity(options, console);
        const proposal = proposalOf(options as unknown as Record<string, unknown>, 'query');
        const storage = getStorageContexts(
          DCMTK_LONG_SCU_STORAGE_SOP_CLASSES.slice(0, STORAGE_CONTEXTS),
          acceptedSyntaxes(options as unknown as Record<string, unknown>, 'uncompressed'),
        );
        assoc = await openAssociation(
          ae,
          options,
          {
            peer,
            port,
            contexts: [
              { abstractSyntax: sopClass, transferSyntaxes: [proposal.preferred, ...proposal.fallback] },
              ...storage,
            ],
            handlers: { store: storeInto(dir, console) },
          },
          console,
        );
        let messageId = 0;
        for (const query of queries) {
          for (let n = 0; n < repeat; n++) {
            console.info(`Sending C-GET Request (MsgID ${++messageId})`);
            const onProgress = (_p: RetrieveProgress): void =>
              console.info('Received C-GET Response (Pending)');
            let result: RetrieveProgress & { status: number };
            try {
              result = await assoc.get(query.identifier, { model: sopClass, onProgress });
            } catch (error) {
              if (!(error instanceof DimseStatusError)) throw error;
              result = { status: error.status, completed: 0, failed: 0, warning: 0 };
            }
            const words = statusText('C-GET', result.status);
            if (result.status === 0 || console.verbose) console.info(`Received C-GET Response (${words})`);
            else console.warn(`Received C-GET Response (${words})`);
            console.info(
              [
                'Final status report from last C-GET message:',
                `  Number of Remaining Suboperations : ${result.remaining ?? 0}`,
                `  Number of Completed Suboperations : ${result.completed}`,
                `  Number of Failed Suboperations    : ${result.failed}`,
                `  Number of Warning Suboperations   : ${result.warning}`,
              ].join('\n'),
            );
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
