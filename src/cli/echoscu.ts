import { Command } from 'commander';
import { verificationContext } from '../services/index.ts';
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

export const ECHOSCU_ALIASES = { ...NETWORK_ALIASES, '-r': '--repeat' };

/** `dicomkit echoscu peer port`: DCMTK's echoscu (C-ECHO, PS3.4 Annex A). */
export function echoscuCommand(): Command {
  return addNetworkOptions(
    new Command('echoscu')
      .description('send C-ECHO (Verification) to a DICOM peer, as DCMTK echoscu')
      .argument('<peer>', 'host name or address of the peer')
      .argument('<port>', 'TCP port of the peer')
      .option('--repeat <n>', 'repeat the echo n times (DCMTK -r)', '1'),
    { aet: 'ECHOSCU' },
  ).action(async (peer: string, port: string, options: NetworkCliOptions & { repeat: string }) => {
    const console = new Console(options);
    try {
      const ae = applicationEntity(options, console);
      const tls = clientTls(options);
      console.info('Requesting Association');
      const assoc = await ae.associate({
        ...peerPort(peer, port),
        calledAeTitle: options.call,
        contexts: [verificationContext()],
        ...(tls ? { tls } : {}),
      });
      console.info(
        `Association Accepted (Max Send PDV: ${assoc.peerMaxPduLength ? assoc.peerMaxPduLength - 6 : 'unlimited'})`,
      );
      for (let i = 1; i <= Number(options.repeat); i++) {
        console.info(`Sending Echo Request (MsgID ${i})`);
        await assoc.echo();
        console.info('Received Echo Response (Success)');
      }
      console.info('Releasing Association');
      await assoc.release();
    } catch (error) {
      process.exitCode = reportFailure(console, error);
    }
  });
}
