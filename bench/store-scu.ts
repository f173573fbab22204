/**
 * The dicomkit SCU of the store benchmark (bench/store.ts), in a process of its own as
 * storescu is: stores every file of DIR (sorted by name) through one association.
 *
 *   node --import tsx bench/store-scu.ts HOST PORT DIR [--pdu 16384] [--aet STORESCP] [--warm WARMDIR]
 *
 * Each file's header is read first (prepareSource: SOP class and instance, transfer syntax)
 * so that the association proposes exactly the SOP classes present, as storescu does; the
 * files are then sent one after the other with Association.storeMany (read-ahead). Prints one JSON line:
 * { count, seconds (prepare + associate + stores + release), storeSeconds, maxRssKb }.
 * With `--warm WARMDIR` the files of WARMDIR (other instances of the same SOP classes) are
 * first sent untimed on the same association (a long-running SCU, e.g. a router, runs
 * optimized code), and storeSeconds is the pass over DIR alone.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  ApplicationEntity,
  type PreparedInstance,
  prepareSource,
  storageContexts,
} from '../src/services/index.ts';

const [host, port, dir, ...rest] = process.argv.slice(2);
if (!host || !port || !dir) throw new Error('usage: store-scu.ts HOST PORT DIR [--pdu N] [--aet AE]');
const option = (name: string): string | undefined => {
  const at = rest.indexOf(name);
  return at >= 0 ? rest[at + 1] : undefined;
};
const maxPduLength = Number(option('--pdu') ?? 16384);
const calledAeTitle = option('--aet') ?? 'ANY-SCP';
const warmDir = option('--warm');

const start = performance.now();
const filesOf = (folder: string): string[] =>
  readdirSync(folder)
    .filter((name) => !name.startsWith('.'))
    .sort()
    .map((name) => join(folder, name));
const paths = filesOf(dir);
// Headers read with blocking calls, as dicomkit storescu checks its input files.
const instances: PreparedInstance[] = [];
for (const path of paths) instances.push(await prepareSource(path, { blocking: true }));
const sopClasses = [...new Set(instances.map((i) => i.sopClassUid))];

const ae = new ApplicationEntity({ aeTitle: 'DKSCU', maxPduLength });
const association = await ae.associate({
  host,
  port: Number(port),
  calledAeTitle,
  contexts: storageContexts(sopClasses),
});
if (warmDir)
  for await (const outcome of association.storeMany(filesOf(warmDir), { blocking: true }))
    if (outcome.error) throw outcome.error;
const storeStart = performance.now();
// storeMany reads the next file while the current one is on the wire, as a pipeline.
// Blocking reads, as dicomkit storescu reads ahead (PrepareOptions.blocking).
for await (const outcome of association.storeMany(paths, { blocking: true }))
  if (outcome.error) throw outcome.error;
const storeSeconds = (performance.now() - storeStart) / 1000;
await association.release();
const seconds = (performance.now() - start) / 1000;
console.log(
  JSON.stringify({
    count: instances.length,
    seconds,
    storeSeconds,
    maxRssKb: process.resourceUsage().maxRSS,
  }),
);
