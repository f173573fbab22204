// DICOM JSON conversion speed on CT_small (run on demand: npm run bench:json). It moved here
// from the unit tests: timings belong in benchmarks, not in tests that a busy machine fails.
import { readFileSync } from 'node:fs';
import { dataSetToJson, jsonToDataSet } from '../src/json/index.ts';
import { readDicom } from '../src/object/part10.ts';

const ds = readDicom(new Uint8Array(readFileSync('test/fixtures/pydicom/CT_small.dcm'))).dataset;
const json = dataSetToJson(ds);
for (let i = 0; i < 300; i++) jsonToDataSet(dataSetToJson(ds));
function median(run: () => void): number {
  const times: number[] = [];
  for (let batch = 0; batch < 9; batch++) {
    const start = performance.now();
    for (let i = 0; i < 200; i++) run();
    times.push((performance.now() - start) / 200);
  }
  return times.sort((a, b) => a - b)[4]!;
}
console.log('| conversion | ms per CT_small data set (median of 9 x 200) |');
console.log('|---|---:|');
console.log(`| dataSetToJson | ${median(() => dataSetToJson(ds)).toFixed(3)} |`);
console.log(`| jsonToDataSet | ${median(() => jsonToDataSet(json)).toFixed(3)} |`);
