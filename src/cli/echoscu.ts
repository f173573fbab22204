import { Command } from 'commander';
import type { Association } from '../services/index.ts';
import { verificationContext } from '../services/index.ts';
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
} from './common/network.ts';
import { statusText } from './common/status-text.ts';

export const ECHOSCU_ALIASES = { ...NETWORK_ALIASES };

/**
 * `dicomkit echoscu peer port`: DCMTK's echoscu (C-ECHO, PS3.4 Annex A). Exit codes as
 * echoscu(1) documents them: 0, 1 (command line, association not made), 70 (the echo failed
 * or the association was aborted).
 */
export function echoscuCommand(): Command {
  const command = new Command('echoscu')
    .description('DICOM verification (C-ECHO) SCU, as DCMTK echoscu')
    .argument('<peer>', 'hostname of DICOM peer')
    .argument('<port>', 'tcp/ip port number of peer');
  return addRequestorOptions(command, { aet: 'ECHOSCU', repeat: true, abort: true }).action(
    async (peer: string, port: string, options: NetworkCliOptions) => {
      let console: Console | undefined;
      let assoc: Association | undefined;
      try {
        console = new Console(options);
        const ae = applicationEntity(options, console);
        const repeat = repeatCount(options);
        assoc = await openAssociation(
          ae,
          options,
          { peer, port, contexts: [verificationContext()] },
          console,
        );
        for (let i = 1; i <= repeat; i++) {
          console.info(`Sending Echo Request (MsgID ${i})`);
          const status = await assoc.echo();
          console.info(`Received Echo Response (${statusText('C-ECHO', status)})`);
        }
        await closeAssociation(assoc, options, console);
      } catch (error) {
        const kind = reportFailure(console ?? new Console({}), error);
        process.exitCode = assoc && kind !== 'usage' ? NET_EXIT.associationAborted : NET_EXIT.failure;
        if (assoc?.isEstablished) await assoc.abort();
      }
    },
  );
}
