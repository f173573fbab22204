import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  EndOfStudy,
  endOfStudyNames,
  type PlaceholderValues,
  substitutePlaceholders,
  TimeNames,
} from './exec-hooks.ts';

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
  const eos = new EndOfStudy(50, (v, files) => {
    ended.push(`${v.directory}: ${files.join(' ')}`);
  });
  await eos.received('1.1', { ...values, directory: 'A' }, 'A/1');
  await eos.received('1.1', { ...values, directory: 'A' }, 'A/2');
  assert.deepEqual(ended, []);
  await eos.received('1.2', { ...values, directory: 'B' }, 'B/1');
  assert.deepEqual(ended, ['A: A/1 A/2']);
  await new Promise((r) => setTimeout(r, 120));
  assert.deepEqual(ended, ['A: A/1 A/2', 'B: B/1']);
  // After a timeout the same study starts anew, and ends again.
  await eos.received('1.2', { ...values, directory: 'B' }, 'B/2');
  await new Promise((r) => setTimeout(r, 120));
  assert.deepEqual(ended, ['A: A/1 A/2', 'B: B/1', 'B: B/2']);
});

test('--timenames: a serial number only when a name would repeat; --rename-on-eostudy names', () => {
  const t = new Date(2026, 10, 23, 9, 8, 7, 6);
  const fresh = new TimeNames();
  assert.deepEqual(
    [fresh.next('CT', '', t), fresh.next('CT', '', t), fresh.next('CT', '', t), fresh.next('MR', '.dcm', t)],
    [
      '20261123090807006.CT',
      '20261123090807006_0000.CT',
      '20261123090807006_0001.CT',
      '20261123090807006.MR.dcm',
    ],
  );
  assert.deepEqual(endOfStudyNames(['CT.1.2.3', 'MR.1.2.4', 'SRt.1.2.5'], false), [
    'CT000001',
    'MR000002',
    'SR000003',
  ]);
  assert.deepEqual(endOfStudyNames(['20261123090807006.CT', '20261123090807006_0000.MR'], true), [
    'CT000001',
    'MR000002',
  ]);
});
