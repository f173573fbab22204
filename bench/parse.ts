/**
 * Parse speed, on demand (`npm run bench:parse [-- --mb 500]`): dicomkit against dcmjs and
 * dicom-parser on the same generated CT-like files, already in memory so disk speed does
 * not count. Two cases: a full parse (every element; pixel data left as a byte range where
 * the library allows) and a header-only parse (stop before Pixel Data).
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import dcmjs from 'dcmjs';
import dicomParser from 'dicom-parser';
import { readDicom } from '../src/object/part10.ts';
import { writeDicom } from '../src/object/part10-writer.ts';

const args = process.argv.slice(2);
const targetMB = Number(args[args.indexOf('--mb') + 1] ?? 0) || 500;

/** A 512x512 16-bit CT: CT_small's header (with its sequences and private tags) plus pixels. */
function makeFiles(): Uint8Array[] {
  const template = readDicom(new Uint8Array(readFileSync('test/fixtures/pydicom/CT_small.dcm')));
  const ds = template.dataset;
  ds.set('Rows', 512);
  ds.set('Columns', 512);
  const pixels = new Uint8Array(512 * 512 * 2);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 2654435761) >>> 24;
  ds.set('PixelData', pixels, 'OW');
  const files: Uint8Array[] = [];
  let total = 0;
  let n = 0;
  while (total < targetMB * 1e6) {
    ds.set('SOPInstanceUID', `1.2.826.0.1.3680043.8.498.${++n}`);
    ds.set('InstanceNumber', n);
    const bytes = writeDicom(template);
    files.push(bytes);
    total += bytes.length;
  }
  return files;
}

interface Result {
  name: string;
  seconds: number;
}

function time(name: string, files: Uint8Array[], parse: (bytes: Uint8Array) => unknown): Result {
  for (let i = 0; i < Math.min(20, files.length); i++) parse(files[i]!); // warm-up
  (globalThis as { gc?: () => void }).gc?.();
  const start = performance.now();
  for (const bytes of files) parse(bytes);
  return { name, seconds: (performance.now() - start) / 1000 };
}

const files = makeFiles();
const megabytes = files.reduce((sum, f) => sum + f.length, 0) / 1e6;
console.log(`${files.length} files, ${megabytes.toFixed(0)} MB, node ${process.version}\n`);

const PIXEL_DATA = 0x7fe00010;
const cases: Array<{ label: string; results: Result[] }> = [
  {
    label: 'full parse',
    results: [
      // Every element is parsed into an Element (values are views, decoded on access, as
      // dicom-parser leaves them too); dcmjs decodes every value.
      time('dicomkit', files, (b) => readDicom(b).dataset.size),
      time('dicom-parser', files, (b) => dicomParser.parseDicom(b)),
      time('dcmjs', files, (b) =>
        dcmjs.data.DicomMessage.readFile(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)),
      ),
    ],
  },
  {
    label: 'header only',
    results: [
      time('dicomkit', files, (b) => readDicom(b, { stopAtTag: PIXEL_DATA })),
      time('dicom-parser', files, (b) => dicomParser.parseDicom(b, { untilTag: 'x7fe00010' })),
      time('dcmjs', files, (b) =>
        dcmjs.data.DicomMessage.readFile(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength), {
          untilTag: '7FE00010',
          includeUntilTagValue: false,
        }),
      ),
    ],
  },
];

console.log('| case | library | MB/s | files/s | dicomkit speed-up |');
console.log('|---|---|---:|---:|---:|');
for (const { label, results } of cases) {
  const ours = results[0]!.seconds;
  for (const r of results) {
    const ratio = r.name === 'dicomkit' ? '1.00x' : `${(r.seconds / ours).toFixed(2)}x`;
    console.log(
      `| ${label} | ${r.name} | ${(megabytes / r.seconds).toFixed(0)} | ${(files.length / r.seconds).toFixed(0)} | ${ratio} |`,
    );
  }
}
