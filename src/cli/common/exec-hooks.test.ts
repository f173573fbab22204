import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EndOfStudy, type PlaceholderValues, substitutePlaceholders } from './exec-hooks.ts';

const values: PlaceholderValues = {
  directory: '/data/ST_1.2.3',
  fileName: 'CT.1.2.3.4',
  callingAeTitle: 'MODALITY',
  calledAeTitle: 'STORESCP',
  remoteAddress: '127.0.0.1',
};

test('placeholders #p #f #a #c #r; a peer cannot smuggle shell syntax in through its AE title', () => {
  assert.equal(
    substitutePlaceholders('cp #p/#f /x && echo #a #c #r #z', values),
    'cp /data/ST_1.2.3/CT.1.2.3.4 /x && echo MODALITY STORESCP 127.0.0.1 #z',
  );
  const warnings: string[] = [];
  const console = { warn: (line: string) => warnings.push(line) } as unknown as Parameters<
    typeof substitutePlaceholders
  >[2];
  assert.equal(
    substitutePlaceholders('echo #a', { ...values, callingAeTitle: 'X;rm -rf ~`$(id)`' }, console),
    'echo X_rm -rf ____id__',
  );
  assert.equal(warnings.length, 1);
  // No file name at the end of a study: #f stays as written.
  const { fileName: _, ...study } = values;
  assert.equal(substitutePlaceholders('ls #p #f', study), 'ls /data/ST_1.2.3 #f');
});

test('a study ends when another begins, or after the timeout with nothing received', async () => {
  const ended: string[] = [];
  const eos = new EndOfStudy(50, (v) => {
    ended.push(v.directory);
  });
  await eos.received('1.1', { ...values, directory: 'A' });
  await eos.received('1.1', { ...values, directory: 'A' });
  assert.deepEqual(ended, []);
  await eos.received('1.2', { ...values, directory: 'B' });
  assert.deepEqual(ended, ['A']);
  await new Promise((r) => setTimeout(r, 120));
  assert.deepEqual(ended, ['A', 'B']);
  // After a timeout the same study starts anew, and ends again.
  await eos.received('1.2', { ...values, directory: 'B' });
  await new Promise((r) => setTimeout(r, 120));
  assert.deepEqual(ended, ['A', 'B', 'B']);
});
