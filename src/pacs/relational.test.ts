// Relational queries (PS3.4 §C.4.1.2.2.1) when a requestor negotiates them with SOP Class
// Extended Negotiation (PS3.7 §D.3.3.5, PS3.4 §C.5.1.1.1), hierarchical ones otherwise; and
// relational retrieval (PS3.4 §C.5.3.1.1) granted when asked.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SILENT_LOGGER } from '../core/index.ts';
import { DataSet } from '../object/index.ts';
import {
  ApplicationEntity,
  getStorageContexts,
  QueryRetrieveModels,
  storageContexts,
  UNCOMPRESSED_TRANSFER_SYNTAXES,
} from '../services/index.ts';
import { resolveConfig } from './config.ts';
import { type Pacs, startPacs } from './server.ts';

const SC = '1.2.840.10008.5.1.4.1.1.7';
const work = mkdtempSync(join(tmpdir(), 'dicomkit-relational-'));
after(() => rmSync(work, { recursive: true, force: true }));

describe('dicomkit pacs: relational C-FIND by extended negotiation', () => {
  let pacs: Pacs;
  const scu = new ApplicationEntity({ aeTitle: 'WORKSTATION', timeouts: { acse: 5000, dimse: 5000 } });

  before(async () => {
    pacs = await startPacs(
      resolveConfig({
        dicom: { host: '127.0.0.1', port: 0 },
        http: { enabled: false },
        storage: { path: join(work, 'store') },
      }),
      { logger: SILENT_LOGGER },
    );
    const loader = await scu.associate({
      host: '127.0.0.1',
      port: pacs.dicom.port,
      contexts: storageContexts([SC]),
    });
    for (const [study, series, modality] of [
      ['2.25.700', '2.25.701', 'OT'],
      ['2.25.710', '2.25.711', 'XC'],
    ]) {
      const ds = new DataSet();
      ds.set('SOPClassUID', SC);
      ds.set('SOPInstanceUID', `${series}.1`);
      ds.set('PatientID', 'REL');
      ds.set('StudyInstanceUID', study);
      ds.set('SeriesInstanceUID', series);
      ds.set('Modality', modality);
      await loader.store(ds);
    }
    await loader.release();
  });
  after(() => pacs?.close());

  /**
   * A STUDY query with a SERIES key: relationally it selects the studies holding an XC series;
   * hierarchically the key below the query level is not matched (PS3.4 §C.4.1.2.2.1, §C.4.1.2.1).
   */
  function studiesWithXcSeries(): DataSet {
    const identifier = new DataSet();
    identifier.set('QueryRetrieveLevel', 'STUDY');
    identifier.set('StudyInstanceUID', undefined);
    identifier.set('Modality', 'XC');
    return identifier;
  }

  async function ask(extendedNegotiation?: Uint8Array): Promise<{ granted?: Uint8Array; result: unknown }> {
    const association = await scu.associate({
      host: '127.0.0.1',
      port: pacs.dicom.port,
      contexts: [
        {
          abstractSyntax: QueryRetrieveModels.study.find,
          transferSyntaxes: UNCOMPRESSED_TRANSFER_SYNTAXES,
          ...(extendedNegotiation ? { extendedNegotiation } : {}),
        },
      ],
    });
    try {
      const negotiated = association.contexts[0]!.extendedNegotiation;
      const granted = negotiated ? new Uint8Array(negotiated) : undefined;
      const found: string[] = [];
      try {
        for await (const match of association.find(studiesWithXcSeries(), { model: 'study' })) {
          found.push(match.string('StudyInstanceUID')!);
        }
      } catch (error) {
        return { ...(granted ? { granted } : {}), result: error };
      }
      return { ...(granted ? { granted } : {}), result: found };
    } finally {
      await association.release();
    }
  }

  test('asked for, relational queries are granted and done; the rest of the flags are not offered', {
    timeout: 15_000,
  }, async () => {
    const { granted, result } = await ask(Uint8Array.of(1, 1, 1));
    // Relational and combined date-time matching granted, fuzzy PN matching not.
    assert.deepEqual(granted, Uint8Array.of(1, 1, 0));
    assert.deepEqual(result, ['2.25.710']);
  });

  test('relational retrieval: granted when asked; a C-GET of one instance by its UID alone', {
    timeout: 15_000,
  }, async () => {
    const association = await scu.associate({
      host: '127.0.0.1',
      port: pacs.dicom.port,
      contexts: [
        {
          abstractSyntax: QueryRetrieveModels.study.get,
          transferSyntaxes: UNCOMPRESSED_TRANSFER_SYNTAXES,
          extendedNegotiation: Uint8Array.of(1),
        },
        ...getStorageContexts([SC]),
      ],
    });
    try {
      assert.deepEqual(new Uint8Array(association.contexts[0]!.extendedNegotiation!), Uint8Array.of(1));
      const identifier = new DataSet();
      identifier.set('QueryRetrieveLevel', 'IMAGE');
      identifier.set('SOPInstanceUID', '2.25.711.1');
      const got: string[] = [];
      const result = await association.get(identifier, {
        model: 'study',
        store: (request) => {
          got.push(request.sopInstanceUid);
          request.data.discard();
        },
      });
      assert.deepEqual([result.completed, result.failed, got], [1, 0, ['2.25.711.1']]);
    } finally {
      await association.release();
    }
  });

  test('not asked for (or asked with 0), the key below the level is not matched: hierarchical', {
    timeout: 15_000,
  }, async () => {
    const plain = await ask();
    assert.equal(plain.granted, undefined);
    assert.deepEqual((plain.result as string[]).sort(), ['2.25.700', '2.25.710']);
    const declined = await ask(Uint8Array.of(0));
    assert.deepEqual(declined.granted, Uint8Array.of(0));
    assert.deepEqual((declined.result as string[]).sort(), ['2.25.700', '2.25.710']);
  });
});
