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
  UsageError,
} from './common/network.ts';
import { statusText } from './common/status-text.ts';

export const ECHOSCU_ALIASES = { ...NETWORK_ALIASES, '-pts': '--propose-ts', '-ppc': '--propose-pc' };

/**
 * The transfer syntaxes DCMTK's echoscu proposes with -pts n, the first n in this order (as its
 * -d output lists them): the uncompressed ones, the JPEG processes 1-29 and 14 SV1, RLE,
 * deflated, JPEG-LS, JPEG 2000, MPEG-2, MPEG-4 and HEVC.
 */
const ECHO_PROPOSAL_ORDER: readonly string[] = [
  '1.2.840.10008.1.2',
  '1.2.840.10008.1.2.1',
  '1.2.840.10008.1.2.2',
  ...Array.from({ length: 17 }, (_, i) => `1.2.840.10008.1.2.4.${50 + i}`),
  '1.2.840.10008.1.2.4.70',
  '1.2.840.10008.1.2.5',
  '1.2.840.10008.1.2.1.99',
  '1.2.840.10008.1.2.4.80',
  '1.2.840.10008.1.2.4.81',
  '1.2.840.10008.1.2.4.90',
  '1.2.840.10008.1.2.4.91',
  '1.2.840.10008.1.2.4.92',
  '1.2.840.10008.1.2.4.93',
  ...Array.from({ length: 9 }, (_, i) => `1.2.840.10008.1.2.4.${100 + i}`),
];

interface EchoscuOptions extends NetworkCliOptions {
  proposeTs?: string;
  proposePc?: string;
}

/** DCMTK's range check of a numeric option, with its message. */
function count(value: string | undefined, option: string, max: number): number {
  if (value === undefined) return 1;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1)
    throw new UsageError(`Invalid value for option ${option} (underflow: ${value})`);
  if (n > max) throw new UsageError(`Invalid value for option ${option} (overflow: ${value})`);
  return n;
}

/**
 * `dicomkit echoscu peer port`: DCMTK's echoscu (C-ECHO, PS3.4 Annex A). Exit codes as
 * echoscu(1) documents them: 0, 1 (command line, association not made), 70 (the echo failed
 * or the association was aborted).
 */
export function echoscuCommand(): Command {
  const command = new Command('echoscu')
    .description('DICOM verification (C-ECHO) SCU, as DCMTK echoscu')
    .argument('<peer>', 'hostname of DICOM peer')
    .argument('<port>', 'tcp/ip port number of peer')
    .option('--propose-ts <n>', `propose n transfer syntaxes, 1..${ECHO_PROPOSAL_ORDER.length} (DCMTK -pts)`)
    .option('--propose-pc <n>', 'propose n presentation contexts, 1..128 (DCMTK -ppc)');
  return addRequestorOptions(command, { aet: 'ECHOSCU', repeat: true, abort: true }).action(
    async (peer: string, port: string, options: EchoscuOptions) => {
      let console: Console | undefined;
      let assoc: Association | undefined;
      try {
        console = new Console(options, 'echoscu');
        const ae = applicationEntity(options, console);
        const repeat = repeatCount(options);
        // A test aid of DCMTK's: n contexts of Verification, each with the first k syntaxes.
        const syntaxes = ECHO_PROPOSAL_ORDER.slice(
          0,
          count(options.proposeTs, '--propose-ts', ECHO_PROPOSAL_ORDER.length),
        );
        const contexts = Array.from({ length: count(options.proposePc, '--propose-pc', 128) }, () => ({
          ...verificationContext(),
          transferSyntaxes: syntaxes,
        }));
        assoc = await openAssociation(ae, options, { peer, port, contexts }, console);
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
