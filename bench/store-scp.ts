/**
 * The dicomkit SCP of the store benchmark (bench/store.ts), in a process of its own so that
 * its peak RSS can be read from /proc/PID/status: every instance received is streamed to a
 * Part 10 file with StoreRequest.writeFile.
 *
 *   node --import tsx bench/store-scp.ts DIR [--pdu 16384] [--fsync]
 *
 * Prints `listening PORT` once it accepts associations, then serves until SIGTERM.
 * Like DCMTK's storescp it does not fsync; `--fsync` shows what durability per instance costs.
 */
import { join } from 'node:path';
import { ApplicationEntity } from '../src/services/index.ts';

const args = process.argv.slice(2);
const dir = args[0];
if (!dir) throw new Error('usage: store-scp.ts DIR [--pdu N] [--fsync]');
const pduAt = args.indexOf('--pdu');
const maxPduLength = pduAt >= 0 ? Number(args[pduAt + 1]) : 16384;
const fsync = args.includes('--fsync');

const ae = new ApplicationEntity({ aeTitle: 'DKSCP', maxPduLength });
const server = await ae.listen({
  port: 0,
  handlers: {
    store: async (req) => {
      await req.writeFile(join(dir, `${req.sopInstanceUid}.dcm`), { fsync });
    },
  },
});
console.log(`listening ${server.port}`);
process.on('SIGTERM', () => {
  void server.close({ abort: true }).then(() => process.exit(0));
});
