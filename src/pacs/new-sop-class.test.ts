// A storage SOP class newer than the PACS's dictionary: accepted when the requestor's SOP
// Class Common Extended Negotiation (PS3.7 §D.3.3.6) says it is storage, then indexed, found
// and retrieved like any other (C-GET; C-MOVE to an SCP that knows the class no better,
// which the PACS tells it is storage); refused without that item.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { associateWithPacs, startLoopbackPacs } from '../../test/helpers/pacs.ts';
import { DataSet } from '../object/index.ts';
import { ApplicationEntity, type DicomServer, QueryRetrieveModels } from '../services/index.ts';
import type { Pacs } from './server.ts';

const NEW_CLASS = '1.2.826.0.1.3680043.9.7777.3.1';
const EXPLICIT = '1.2.840.10008.1.2.1';
const STORAGE_SERVICE_CLASS = '1.2.840.10008.4.2';
const work = mkdtempSync(join(tmpdir(), 'dicomkit-new-class-'));
after(() => rmSync(work, { recursive: true, force: true }));

describe('dicomkit pacs: a storage SOP class it does not know', () => {
  let pacs: Pacs;
  let destination: DicomServer;
  const moved: string[] = [];
  before(async () => {
    destination = await new ApplicationEntity({ aeTitle: 'DEST' }).listen({
      port: 0,
      acceptNewStorageSopClasses: true,
      handlers: {
        store: async (req) => {
          moved.push(`${req.sopClassUid} ${(await req.dataset()).string('SOPInstanceUID')}`);
        },
      },
    });
    pacs = await startLoopbackPacs(join(work, 'store'), {
      modalities: { dest: { aeTitle: 'DEST', host: '127.0.0.1', port: destination.port } },
    });
  });
  after(async () => {
    await pacs?.close();
    await destination?.close({ abort: true });
  });

  const associate = (announce: boolean) =>
    associateWithPacs(pacs, [
      {
        abstractSyntax: NEW_CLASS,
        transferSyntaxes: [EXPLICIT],
        // Both roles: the PACS stores to us on this context for the C-GET below.
        scuRole: true,
        scpRole: true,
        ...(announce ? { commonExtendedNegotiation: { serviceClassUid: STORAGE_SERVICE_CLASS } } : {}),
      },
      { abstractSyntax: QueryRetrieveModels.study.find, transferSyntaxes: [EXPLICIT] },
      { abstractSyntax: QueryRetrieveModels.study.get, transferSyntaxes: [EXPLICIT] },
      { abstractSyntax: QueryRetrieveModels.study.move, transferSyntaxes: [EXPLICIT] },
    ]);

  test('announced as storage: stored, found at IMAGE level, retrieved over C-GET and C-MOVE', {
    timeout: 20_000,
  }, async () => {
    const ds = new DataSet();
    ds.set('SOPClassUID', NEW_CLASS);
    ds.set('SOPInstanceUID', '2.25.7001.1.1');
    ds.set('PatientID', 'NEWCLASS');
    ds.set('StudyInstanceUID', '2.25.7001');
    ds.set('SeriesInstanceUID', '2.25.7001.1');
    ds.set('Modality', 'OT');
    const assoc = await associate(true);
    try {
      assert.equal(assoc.contexts[0]!.accepted, true);
      assert.equal((await assoc.store(ds)).status, 0);
      assert.equal(pacs.index.has('2.25.7001.1.1'), true);
      const query = new DataSet();
      query.set('QueryRetrieveLevel', 'IMAGE');
      query.set('StudyInstanceUID', '2.25.7001');
      query.set('SeriesInstanceUID', '2.25.7001.1');
      query.set('SOPInstanceUID', '');
      query.set('SOPClassUID', '');
      const found: string[] = [];
      for await (const match of assoc.find(query, { model: 'study' }))
        found.push(match.string('SOPClassUID')!);
      assert.deepEqual(found, [NEW_CLASS]);
      const study = new DataSet();
      study.set('QueryRetrieveLevel', 'STUDY');
      study.set('StudyInstanceUID', '2.25.7001');
      const got: string[] = [];
      const result = await assoc.get(study, {
        store: async (req) => {
          got.push(`${req.sopClassUid} ${(await req.dataset()).string('SOPInstanceUID')}`);
        },
      });
      assert.deepEqual([result.status, result.completed, result.failed], [0, 1, 0]);
      assert.deepEqual(got, [`${NEW_CLASS} 2.25.7001.1.1`]);
      const move = await assoc.move(study, 'DEST');
      assert.deepEqual([move.status, move.completed, move.failed], [0, 1, 0]);
      assert.deepEqual(moved, [`${NEW_CLASS} 2.25.7001.1.1`]);
    } finally {
      await assoc.release();
    }
  });

  test('not announced: the context is refused', { timeout: 10_000 }, async () => {
    const assoc = await associate(false);
    try {
      assert.deepEqual(
        assoc.contexts.map((c) => c.accepted),
        [false, true, true, true],
      );
    } finally {
      await assoc.release();
    }
  });
});
