/**
 * Writes data/dcmtk-uid-names.tsv: the names DCMTK's dcmdump prints for well-known UIDs
 * (`=LittleEndianExplicit`) where they differ from the PS3.6 keywords of data/uids.tsv.
 * `dicomkit dump` prints DCMTK's names so that its output diffs cleanly against dcmdump's.
 *
 *   npx tsx tools/dcmtk-uid-names.ts        (needs DCMTK's dcmdump on the PATH)
 *
 * It asks dcmdump itself: a file with one item per registry UID, each holding the UID in
 * (0008,1150), dumped and read back. UIDs dcmdump prints as numbers (it does not know them)
 * are left out: dicomkit shows their keyword.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataSet } from '../src/object/dataset.ts';
import { writeDicom } from '../src/object/part10-writer.ts';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const rows = readFileSync(join(REPO_ROOT, 'data', 'uids.tsv'), 'utf8')
  .split('\n')
  .slice(1)
  .filter((line) => line.trim() !== '')
  .map((line) => {
    const fields = line.split('\t');
    return { uid: fields[0]!, keyword: fields[5] ?? '' };
  });

const dataset = new DataSet();
dataset.set('SOPClassUID', '1.2.840.10008.5.1.4.1.1.7');
dataset.set('SOPInstanceUID', '1.2.3');
dataset.set(
  'ReferencedImageSequence',
  rows.map((row) => {
    const item = new DataSet();
    item.set('ReferencedSOPClassUID', row.uid);
    return item;
  }),
);
const dir = mkdtempSync(join(tmpdir(), 'dcmtk-uid-names-'));
try {
  const path = join(dir, 'uids.dcm');
  writeFileSync(path, writeDicom(dataset));
  const dump = execFileSync('dcmdump', ['-q', '+L', '+P', '0008,1150', path], { encoding: 'latin1' });
  const shown = dump
    .split('\n')
    .filter((line) => line.startsWith('(0008,1150)'))
    .map((line) => /^\(0008,1150\) UI (\S+)/.exec(line)![1]!);
  if (shown.length !== rows.length) throw new Error(`dcmdump printed ${shown.length} of ${rows.length} UIDs`);
  const version = execFileSync('dcmdump', ['--version'], { encoding: 'latin1' })
    .split('\n')[0]!
    .replace(/^\$dcmtk: (.*) \$$/, 'DCMTK $1')
    .trim();
  const out = [
    `# names dcmdump prints for UIDs, where they differ from the keyword; from ${version}`,
    'uid\tname',
  ];
  rows.forEach((row, i) => {
    const text = shown[i]!;
    if (text.startsWith('=') && text.slice(1) !== row.keyword) out.push(`${row.uid}\t${text.slice(1)}`);
  });
  writeFileSync(join(REPO_ROOT, 'data', 'dcmtk-uid-names.tsv'), `${out.join('\n')}\n`);
  process.stdout.write(`${out.length - 2} names differ from the keywords\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
