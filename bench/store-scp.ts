/**
 * The dicomkit SCP of the store benchmark (bench/store.ts), in a process of its own so that
 * its peak RSS can be read from /proc/PID/status: every instance received is streamed to a
 * Part 10 file with StoreRequest.writeFile.
 *
 *   node --import tsx bench/store-scp.ts DIR [--pdu 16384] [--no-fsync]
 *
 * Prints `listening PORT` once it accepts associations, then serves until SIGTERM.
 * `--no-fsync` writes the same file with the same code path minus the fsync (a copy of
 * writeReceivedFile below), to show what the fsync per instance costs.
 */
import { open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from '../src/core/index.ts';
import { EXPLICIT_LE } from '../src/encoding/index.ts';
import { concatParts, DataSet, DataSetEncoder } from '../src/object/index.ts';
import { ApplicationEntity, type StoreRequest } from '../src/services/index.ts';

const args = process.argv.slice(2);
const dir = args[0];
if (!dir) throw new Error('usage: store-scp.ts DIR [--pdu N] [--no-fsync]');
const pduAt = args.indexOf('--pdu');
const maxPduLength = pduAt >= 0 ? Number(args[pduAt + 1]) : 16384;
const noFsync = args.includes('--no-fsync');

/** writeReceivedFile (src/services/scp.ts) without the fsync. */
async function writeWithoutSync(req: StoreRequest, path: string, aeTitle: string): Promise<number> {
  const meta = new DataSet();
  meta.set('FileMetaInformationGroupLength', 0);
  meta.set('FileMetaInformationVersion', new Uint8Array([0, 1]));
  meta.set('MediaStorageSOPClassUID', req.sopClassUid);
  meta.set('MediaStorageSOPInstanceUID', req.sopInstanceUid);
  meta.set('TransferSyntaxUID', req.transferSyntax);
  meta.set('ImplementationClassUID', IMPLEMENTATION_CLASS_UID);
  meta.set('ImplementationVersionName', IMPLEMENTATION_VERSION_NAME);
  meta.set('SourceApplicationEntityTitle', aeTitle);
  const header = concatParts([
    new Uint8Array(128),
    new Uint8Array([0x44, 0x49, 0x43, 0x4d]),
    ...new DataSetEncoder().encode(meta, EXPLICIT_LE),
  ]);
  const handle = await open(`${path}.part`, 'w');
  let written = header.length;
  try {
    await handle.write(header);
    let batch: Uint8Array[] = [];
    let batchBytes = 0;
    for await (const chunk of req.data) {
      batch.push(chunk);
      batchBytes += chunk.length;
      if (batchBytes >= 1 << 20) {
        await handle.writev(batch);
        written += batchBytes;
        batch = [];
        batchBytes = 0;
      }
    }
    if (batch.length > 0) await handle.writev(batch);
    written += batchBytes;
  } finally {
    await handle.close();
  }
  await rename(`${path}.part`, path);
  return written;
}

const ae = new ApplicationEntity({ aeTitle: 'DKSCP', maxPduLength });
const server = await ae.listen({
  port: 0,
  handlers: {
    store: async (req, ctx) => {
      const path = join(dir, `${req.sopInstanceUid}.dcm`);
      if (noFsync) await writeWithoutSync(req, path, ctx.association.remoteAeTitle);
      else await req.writeFile(path);
    },
  },
});
console.log(`listening ${server.port}`);
process.on('SIGTERM', () => {
  void server.close({ abort: true }).then(() => process.exit(0));
});
