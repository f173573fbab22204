// Modalities added, changed and deleted through REST (Orthanc's PUT/DELETE /modalities/{id}):
// kept beside the file store so a restart keeps them, known at once to access control and as
// C-MOVE destinations; the config file's own modalities cannot be changed that way.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort } from '../../test/helpers/net-peers.ts';
import { associateWithPacs, startLoopbackPacs } from '../../test/helpers/pacs.ts';
import { DataSet, writeDicom } from '../object/index.ts';
import {
  ApplicationEntity,
  AssociationRejectedError,
  type DicomServer,
  QueryRetrieveModels,
  verificationContext,
} from '../services/index.ts';
import { ConfigError, type ModalityConfig } from './config.ts';
import { ModalityConflictError, ModalityRegistry } from './modalities.ts';
import type { Pacs } from './server.ts';

const work = mkdtempSync(join(tmpdir(), 'dicomkit-modalities-'));
after(() => rmSync(work, { recursive: true, force: true }));

const ALL = { echo: true, store: true, find: true, move: true, get: true };
const modality = (aeTitle: string, port: number, extra: Partial<ModalityConfig> = {}): ModalityConfig => ({
  aeTitle,
  host: '127.0.0.1',
  port,
  checkHost: true,
  permissions: { ...ALL },
  useTls: false,
  ...extra,
});

describe('ModalityRegistry', () => {
  test('REST modalities are saved in the config form and read back; the config file wins on its names', () => {
    const dir = join(work, 'registry');
    mkdirSync(dir);
    const file = join(dir, 'modalities.json');
    const configured = { ct: modality('CT', 104) };
    const registry = new ModalityRegistry(configured, { file });
    assert.equal(registry.put('mr', modality('MR', 105)), true);
    assert.equal(registry.put('mr', modality('MR', 106)), false);
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), {
      mr: { aeTitle: 'MR', host: '127.0.0.1', port: 106, checkHost: true, permissions: ALL, useTls: false },
    });
    assert.deepEqual(registry.names(), ['ct', 'mr']);
    assert.deepEqual(
      [registry.origin('ct'), registry.origin('mr'), registry.origin('us')],
      ['config', 'rest', undefined],
    );
    assert.equal(registry.byAeTitle('MR')?.port, 106);

    // A config-file name: "put" as it is changes nothing; otherwise refused, as is deleting it.
    assert.equal(registry.put('ct', modality('CT', 104)), false);
    assert.throws(() => registry.put('ct', modality('CT', 999)), ModalityConflictError);
    assert.throws(() => registry.delete('ct'), /config file \("modalities.ct"\)/);
    assert.equal(registry.get('ct')?.port, 104);

    const reread = new ModalityRegistry({}, { file });
    assert.deepEqual(reread.entries(), [['mr', modality('MR', 106)]]);
    assert.equal(reread.delete('mr'), true);
    assert.equal(reread.delete('mr'), false);
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), {});

    // The config file gained a name the REST file has: the config's is used, with a warning.
    writeFileSync(file, JSON.stringify({ ct: { aeTitle: 'OTHER', host: 'h', port: 1 } }));
    const warnings: string[] = [];
    const shadowed = new ModalityRegistry(configured, { file, warn: (w) => warnings.push(w) });
    assert.equal(shadowed.get('ct')?.aeTitle, 'CT');
    assert.deepEqual(shadowed.names(), ['ct']);
    assert.match(warnings.join(), /modality ct was added through REST and is also in the config file/);
  });

  test('a bad file fails start-up naming the file and the entry', () => {
    const dir = join(work, 'bad');
    mkdirSync(dir);
    const file = join(dir, 'modalities.json');
    writeFileSync(file, '{ not json');
    assert.throws(
      () => new ModalityRegistry({}, { file }),
      (e: unknown) => e instanceof ConfigError && /not valid JSON/.test(e.message),
    );
    writeFileSync(file, JSON.stringify({ us: { aeTitle: 'A\\B', host: 'h', port: 1 } }));
    assert.throws(
      () => new ModalityRegistry({}, { file }),
      (e: unknown) => e instanceof ConfigError && e.message.includes(`us (in ${file}).aeTitle`),
    );
  });
});

/** An SC instance 2.25.{n}.1.1 of study 2.25.{n}, series 2.25.{n}.1. */
function instance(n: number, patientId: string): DataSet {
  const ds = new DataSet();
  ds.set('SOPClassUID', '1.2.840.10008.5.1.4.1.1.7');
  ds.set('SOPInstanceUID', `2.25.${n}.1.1`);
  ds.set('StudyInstanceUID', `2.25.${n}`);
  ds.set('SeriesInstanceUID', `2.25.${n}.1`);
  ds.set('PatientID', patientId);
  return ds;
}

describe('dicomkit pacs: PUT and DELETE /modalities/{name}', () => {
  const storage = join(work, 'pacs');
  let pacs: Pacs;
  let destination: DicomServer;
  const moved: string[] = [];
  const callers: string[] = [];
  const config = () => ({
    // Only 127.0.0.1 is local: a caller from 127.0.0.2 must be a known modality.
    localAddresses: ['127.0.0.1'],
    http: { port: 0 },
    modalities: { ct: { aeTitle: 'CT', host: '127.0.0.1', port: 104 } },
  });
  before(async () => {
    destination = await new ApplicationEntity({ aeTitle: 'DEST' }).listen({
      port: 0,
      handlers: {
        echo: async (ctx) => {
          callers.push(`echo ${ctx.association.remoteAeTitle}`);
          return 0;
        },
        store: async (req, ctx) => {
          callers.push(`store ${ctx.association.remoteAeTitle}`);
          moved.push((await req.dataset()).string('SOPInstanceUID')!);
        },
      },
    });
    pacs = await startLoopbackPacs(storage, config());
  });
  after(async () => {
    await pacs?.close();
    await destination?.close({ abort: true });
  });

  const rest = (path: string, init: RequestInit = {}) => fetch(`${pacs.http!.url}${path}`, init);
  const storeInPacs = async (ds: DataSet) => {
    const scu = await associateWithPacs(pacs, ['1.2.840.10008.5.1.4.1.1.7']);
    assert.equal((await scu.store(ds)).status, 0);
    await scu.release();
  };
  /** As Orthanc's documentation does it: `curl -X PUT -d '{...}'`, a form-encoded body. */
  const put = (name: string, body: unknown) =>
    rest(`/modalities/${name}`, {
      method: 'PUT',
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
  const echoFrom127002 = async (): Promise<unknown> => {
    try {
      const association = await new ApplicationEntity({ aeTitle: 'STRANGER' }).associate({
        host: '127.0.0.1',
        port: pacs.dicom.port,
        calledAeTitle: 'DICOMKIT',
        contexts: [verificationContext()],
        localAddress: '127.0.0.2',
      });
      const status = await association.echo();
      await association.release();
      return status;
    } catch (error) {
      return error;
    }
  };

  test('a caller added through REST is accepted at once, kept across a restart, and rejected once deleted', {
    timeout: 30_000,
  }, async () => {
    const rejected = await echoFrom127002();
    assert.ok(rejected instanceof AssociationRejectedError, String(rejected));

    const added = await put('stranger', {
      AET: 'STRANGER',
      Host: '127.0.0.2',
      Port: 104,
      AllowStore: false,
      // Orthanc's defaults for what dicomkit has no setting for are accepted.
      Manufacturer: 'Generic',
      AllowTranscoding: true,
    });
    assert.equal(added.status, 200, await added.text());
    assert.equal(await echoFrom127002(), 0);

    assert.deepEqual(await (await rest('/modalities')).json(), ['ct', 'stranger']);
    assert.deepEqual(await (await rest('/modalities/stranger')).json(), [
      'configuration',
      'echo',
      'get',
      'move',
      'query',
      'storage-commitment',
      'store',
      'store-straight',
    ]);
    const expanded = (await (await rest('/modalities?expand')).json()) as Record<
      string,
      Record<string, unknown>
    >;
    assert.deepEqual(expanded.stranger, {
      AET: 'STRANGER',
      Host: '127.0.0.2',
      Port: 104,
      AllowEcho: true,
      AllowStore: false,
      AllowFind: true,
      AllowMove: true,
      AllowGet: true,
      CheckHost: true,
      UseDicomTls: false,
    });

    // Its permissions hold: AllowStore false.
    const scu = await associateWithPacs(pacs, ['1.2.840.10008.5.1.4.1.1.7'], {
      aeTitle: 'STRANGER',
      localAddress: '127.0.0.2',
    });
    try {
      const result = await scu.store(instance(5151, 'REST-MOD')).catch((e: { status: number }) => e);
      assert.equal(result.status, 0x0124);
    } finally {
      await scu.release();
    }

    await pacs.close();
    pacs = await startLoopbackPacs(storage, config());
    assert.equal(await echoFrom127002(), 0, 'kept across a restart');

    const deleted = await rest('/modalities/stranger', { method: 'DELETE' });
    assert.equal(deleted.status, 200);
    assert.ok((await echoFrom127002()) instanceof AssociationRejectedError);
    assert.equal((await rest('/modalities/stranger', { method: 'DELETE' })).status, 404);
    assert.equal((await rest('/modalities/stranger')).status, 404);
  });

  test('a C-MOVE destination added through REST is used at once; the short form [AET, host, port] works', {
    timeout: 20_000,
  }, async () => {
    const ds = instance(5152, 'REST-MOVE');
    const scu = await associateWithPacs(pacs, [
      { abstractSyntax: '1.2.840.10008.5.1.4.1.1.7', transferSyntaxes: ['1.2.840.10008.1.2.1'] },
      { abstractSyntax: QueryRetrieveModels.study.move, transferSyntaxes: ['1.2.840.10008.1.2.1'] },
    ]);
    try {
      assert.equal((await scu.store(ds)).status, 0);
      const study = new DataSet();
      study.set('QueryRetrieveLevel', 'STUDY');
      study.set('StudyInstanceUID', '2.25.5152');
      const unknown = await scu.move(study, 'DEST').catch((e: { status: number }) => e);
      assert.equal(unknown.status, 0xa801);
      assert.equal((await put('dest', ['DEST', '127.0.0.1', destination.port])).status, 200);
      const move = await scu.move(study, 'DEST');
      assert.deepEqual([move.status, move.completed], [0, 1]);
      assert.deepEqual(moved, ['2.25.5152.1.1']);
      assert.equal((await rest('/modalities/dest/echo', { method: 'POST' })).status, 200);
    } finally {
      await scu.release();
      await rest('/modalities/dest', { method: 'DELETE' });
    }
  });

  test("Orthanc's LocalAet: the SCU calls go out under another AE title when asked", {
    timeout: 20_000,
  }, async () => {
    await storeInPacs(instance(5153, 'LOCAL-AET'));
    assert.equal((await put('dest', { AET: 'DEST', Host: '127.0.0.1', Port: destination.port })).status, 200);
    try {
      callers.length = 0;
      const post = (path: string, body: unknown) =>
        rest(path, {
          method: 'POST',
          body: JSON.stringify(body),
          headers: { 'content-type': 'application/json' },
        });
      assert.equal((await post('/modalities/dest/echo', { LocalAet: 'ROUTER' })).status, 200);
      assert.equal((await post('/modalities/dest/echo', {})).status, 200);
      const stored = await post('/modalities/dest/store', { Resources: ['2.25.5153'], LocalAet: 'ROUTER' });
      assert.equal(stored.status, 200);
      assert.equal(((await stored.json()) as { LocalAet: string }).LocalAet, 'ROUTER');
      assert.deepEqual(callers, ['echo ROUTER', 'echo DICOMKIT', 'store ROUTER']);
      const bad = await post('/modalities/dest/echo', { LocalAet: 'A\\B' });
      assert.equal(bad.status, 400);
      assert.match(((await bad.json()) as { error: string }).error, /^LocalAet must be an AE title/);
    } finally {
      await rest('/modalities/dest', { method: 'DELETE' });
    }
  });

  test('store-straight: the file in the body goes to the modality, and is not stored here', {
    timeout: 20_000,
  }, async () => {
    const ds = instance(5154, 'STRAIGHT');
    const file = writeDicom(ds, { transferSyntax: '1.2.840.10008.1.2.1' });
    assert.equal((await put('dest', { AET: 'DEST', Host: '127.0.0.1', Port: destination.port })).status, 200);
    try {
      moved.length = 0;
      const sent = await rest('/modalities/dest/store-straight', { method: 'POST', body: file });
      assert.equal(sent.status, 200);
      assert.deepEqual(await sent.json(), {
        SOPClassUID: '1.2.840.10008.5.1.4.1.1.7',
        SOPInstanceUID: '2.25.5154.1.1',
      });
      assert.deepEqual(moved, ['2.25.5154.1.1']);
      assert.equal(pacs.index.has('2.25.5154.1.1'), false);
      const notDicom = await rest('/modalities/dest/store-straight', { method: 'POST', body: 'hello' });
      assert.equal(notDicom.status, 400);
      assert.equal(
        (await rest('/modalities/nobody/store-straight', { method: 'POST', body: file })).status,
        404,
      );
    } finally {
      await rest('/modalities/dest', { method: 'DELETE' });
    }
  });

  test('a store job that failed while the modality was down succeeds once resubmitted; then it can be deleted', {
    timeout: 30_000,
  }, async () => {
    await storeInPacs(instance(5155, 'RESUBMIT'));
    const port = await freePort();
    assert.equal((await put('later', { AET: 'LATER', Host: '127.0.0.1', Port: port })).status, 200);
    const job = async (id: string, until: string[]) => {
      for (;;) {
        const state = (await (await rest(`/jobs/${id}`)).json()) as {
          State: string;
          Content: Record<string, unknown>;
        };
        if (until.includes(state.State)) return state;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    let later: DicomServer | undefined;
    try {
      const submitted = await rest('/modalities/later/store', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ Resources: ['2.25.5155'], Asynchronous: true, Timeout: 5 }),
      });
      const { ID } = (await submitted.json()) as { ID: string };
      assert.equal((await job(ID, ['Success', 'Failure'])).State, 'Failure');
      const got: string[] = [];
      later = await new ApplicationEntity({ aeTitle: 'LATER' }).listen({
        port,
        host: '127.0.0.1',
        handlers: {
          store: async (req) => {
            got.push((await req.dataset()).string('SOPInstanceUID')!);
          },
        },
      });
      assert.equal((await rest(`/jobs/${ID}/resubmit`, { method: 'POST' })).status, 200);
      const done = await job(ID, ['Success', 'Failure']);
      assert.equal(done.State, 'Success');
      assert.equal(done.Content.InstancesCount, 1);
      assert.deepEqual(got, ['2.25.5155.1.1']);
      assert.equal((await rest(`/jobs/${ID}/resubmit`, { method: 'POST' })).status, 400, 'not failed');
      assert.equal((await rest(`/jobs/${ID}`, { method: 'DELETE' })).status, 200);
      assert.equal((await rest(`/jobs/${ID}`)).status, 404);
    } finally {
      await later?.close({ abort: true });
      await rest('/modalities/later', { method: 'DELETE' });
    }
  });

  test('jobs are kept across a restart: an ended one is listed again, one cut short runs again', {
    timeout: 30_000,
  }, async () => {
    await storeInPacs(instance(5156, 'RESTART'));
    let hold = true;
    let held!: () => void;
    const holding = new Promise<void>((resolve) => {
      held = resolve;
    });
    const got: string[] = [];
    const peer = await new ApplicationEntity({ aeTitle: 'HOLDER' }).listen({
      port: 0,
      host: '127.0.0.1',
      handlers: {
        store: async (req, ctx) => {
          // Holds the C-STORE until the association goes (the PACS stopping), the first time.
          if (hold) {
            held();
            await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
            return 0xa700;
          }
          got.push((await req.dataset()).string('SOPInstanceUID')!);
          return 0;
        },
      },
    });
    const submit = async (body: Record<string, unknown>) =>
      (
        (await (
          await rest('/modalities/holder/store', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ Asynchronous: true, ...body }),
          })
        ).json()) as { ID: string }
      ).ID;
    const state = async (id: string) =>
      ((await (await rest(`/jobs/${id}`)).json()) as { State: string }).State;
    try {
      assert.equal((await put('holder', { AET: 'HOLDER', Host: '127.0.0.1', Port: peer.port })).status, 200);
      // One that ends before the restart: an unknown resource at run time cannot happen (checked
      // first), so a failing one is a store to a closed port.
      assert.equal(
        (await put('closed', { AET: 'CLOSED', Host: '127.0.0.1', Port: await freePort() })).status,
        200,
      );
      const failed = (
        (await (
          await rest('/modalities/closed/store', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ Asynchronous: true, Resources: ['2.25.5156'] }),
          })
        ).json()) as { ID: string }
      ).ID;
      while ((await state(failed)) !== 'Failure') await new Promise((r) => setTimeout(r, 20));
      const cut = await submit({ Resources: ['2.25.5156'] });
      await holding;
      assert.equal(await state(cut), 'Running');
      await pacs.close();
      hold = false;
      pacs = await startLoopbackPacs(storage, config());
      assert.equal(await state(failed), 'Failure', 'an ended job is listed again');
      for (let i = 0; i < 200 && (await state(cut)) !== 'Success'; i++)
        await new Promise((r) => setTimeout(r, 25));
      assert.equal(await state(cut), 'Success');
      assert.deepEqual(got, ['2.25.5156.1.1']);
      const listed = (await (await rest('/jobs')).json()) as string[];
      assert.ok(listed.includes(failed) && listed.includes(cut));
    } finally {
      await peer.close({ abort: true });
      for (const name of ['holder', 'closed']) await rest(`/modalities/${name}`, { method: 'DELETE' });
    }
  });

  describe('store jobs go on from where they stopped', () => {
    /** A study of `count` instances, 2.25.{n}.1.1 to 2.25.{n}.1.{count}, stored here. */
    const storeStudy = async (n: number, count: number): Promise<string[]> => {
      const uids: string[] = [];
      for (let k = 1; k <= count; k++) {
        const ds = instance(n, 'RESUME');
        ds.set('SOPInstanceUID', `2.25.${n}.1.${k}`);
        await storeInPacs(ds);
        uids.push(`2.25.${n}.1.${k}`);
      }
      return uids;
    };
    let holdUid: string | undefined;
    let held: (() => void) | undefined;
    const got: string[] = [];
    let peer: DicomServer;
    before(async () => {
      peer = await new ApplicationEntity({ aeTitle: 'RESUMER' }).listen({
        port: 0,
        host: '127.0.0.1',
        handlers: {
          store: async (req, ctx) => {
            const uid = (await req.dataset()).string('SOPInstanceUID')!;
            if (uid === holdUid) {
              // Held until the association goes (a pause, or the PACS stopping): not received.
              held?.();
              await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
              return 0xa700;
            }
            got.push(uid);
            return 0;
          },
        },
      });
      assert.equal(
        (await put('resumer', { AET: 'RESUMER', Host: '127.0.0.1', Port: peer.port })).status,
        200,
      );
    });
    after(async () => {
      await rest('/modalities/resumer', { method: 'DELETE' });
      await peer?.close({ abort: true });
    });
    /** Starts a store job of `study`, holding the peer on `hold`; resolves once it is held. */
    const startHeld = async (study: string, hold: string): Promise<string> => {
      holdUid = hold;
      const holding = new Promise<void>((resolve) => {
        held = resolve;
      });
      const response = await rest('/modalities/resumer/store', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ Asynchronous: true, Resources: [study] }),
      });
      const { ID } = (await response.json()) as { ID: string };
      await holding;
      return ID;
    };
    const job = async (id: string) =>
      (await (await rest(`/jobs/${id}`)).json()) as {
        State: string;
        ErrorCode: number;
        Content: { InstancesCount?: number; FailedInstancesCount?: number };
      };
    const until = async (id: string, state: string) => {
      for (let i = 0; i < 400 && (await job(id)).State !== state; i++)
        await new Promise((r) => setTimeout(r, 25));
      const seen = await job(id);
      assert.equal(seen.State, state);
      return seen;
    };
    const post = (path: string) => rest(path, { method: 'POST' });

    test('a store job cut short by a restart sends only what it had not sent', {
      timeout: 30_000,
    }, async () => {
      got.length = 0;
      const uids = await storeStudy(5157, 3);
      const id = await startHeld('2.25.5157', uids[1]!);
      assert.deepEqual(got, [uids[0]]);
      await pacs.close();
      holdUid = undefined;
      pacs = await startLoopbackPacs(storage, config());
      const ended = await until(id, 'Success');
      assert.deepEqual(got, uids, 'each instance arrives once, in UID order');
      assert.equal(ended.Content.InstancesCount, 3);
      assert.equal(ended.Content.FailedInstancesCount, 0);
    });

    test('pause stops a store job, it stays paused across a restart, resume goes on from there', {
      timeout: 30_000,
    }, async () => {
      got.length = 0;
      const uids = await storeStudy(5158, 3);
      const id = await startHeld('2.25.5158', uids[1]!);
      assert.equal((await post(`/jobs/${id}/pause`)).status, 200);
      await until(id, 'Paused');
      assert.equal((await post(`/jobs/${id}/pause`)).status, 200, 'pausing a paused job is no error');
      await pacs.close();
      pacs = await startLoopbackPacs(storage, config());
      await new Promise((r) => setTimeout(r, 200));
      assert.equal((await job(id)).State, 'Paused', 'a restart does not resume a paused job');
      assert.deepEqual(got, [uids[0]]);
      holdUid = undefined;
      assert.equal((await post(`/jobs/${id}/resume`)).status, 200);
      const ended = await until(id, 'Success');
      assert.deepEqual(got, uids);
      assert.equal(ended.Content.InstancesCount, 3);
      const refused = await post(`/jobs/${id}/resume`);
      assert.equal(refused.status, 400);
      assert.match(((await refused.json()) as { error: string }).error, /not paused \(Success\)/);
      assert.equal((await post(`/jobs/${id}/pause`)).status, 400, 'an ended job cannot be paused');
    });

    test('a paused job can be canceled; it then fails as canceled', { timeout: 30_000 }, async () => {
      got.length = 0;
      const uids = await storeStudy(5159, 1);
      const id = await startHeld('2.25.5159', uids[0]!);
      assert.equal((await post(`/jobs/${id}/pause`)).status, 200);
      await until(id, 'Paused');
      assert.equal((await post(`/jobs/${id}/cancel`)).status, 200);
      const ended = await until(id, 'Failure');
      assert.equal(ended.ErrorCode, 37);
      assert.deepEqual(got, []);
      const metrics = await (await rest('/tools/metrics-prometheus')).text();
      assert.match(metrics, /^dicomkit_jobs_paused 0$/m);
    });
  });

  test('a C-MOVE job cut short by a restart goes on with the identifiers it had not retrieved', {
    timeout: 30_000,
  }, async () => {
    const asked: string[] = [];
    let holdStudy: string | undefined = '2.25.6002';
    let held!: () => void;
    const holding = new Promise<void>((resolve) => {
      held = resolve;
    });
    const mover = await new ApplicationEntity({ aeTitle: 'MOVER' }).listen({
      port: 0,
      host: '127.0.0.1',
      // Into the PACS, wherever it listens after its restart.
      moveDestinations: (aeTitle) =>
        aeTitle === 'DICOMKIT' ? { aeTitle, host: '127.0.0.1', port: pacs.dicom.port } : undefined,
      handlers: {
        async *move(req, ctx) {
          const study = req.identifier.string('StudyInstanceUID')!;
          asked.push(study);
          if (study === holdStudy) {
            // Held until the association goes (the PACS stopping) or a C-CANCEL.
            held();
            await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
            return;
          }
          yield instance(Number(study.slice('2.25.'.length)), 'MOVED');
        },
      },
    });
    try {
      assert.equal((await put('mover', { AET: 'MOVER', Host: '127.0.0.1', Port: mover.port })).status, 200);
      const response = await rest('/modalities/mover/move', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          Asynchronous: true,
          Level: 'Study',
          Resources: ['2.25.6001', '2.25.6002', '2.25.6003'].map((uid) => ({ StudyInstanceUID: uid })),
        }),
      });
      const { ID } = (await response.json()) as { ID: string };
      await holding;
      assert.deepEqual(asked, ['2.25.6001', '2.25.6002']);
      await pacs.close();
      holdStudy = undefined;
      pacs = await startLoopbackPacs(storage, config());
      let seen: { State: string; Content: { Completed?: number; Failed?: number } } | undefined;
      for (let i = 0; i < 400; i++) {
        seen = (await (await rest(`/jobs/${ID}`)).json()) as typeof seen;
        if (seen!.State === 'Success') break;
        await new Promise((r) => setTimeout(r, 25));
      }
      assert.equal(seen?.State, 'Success');
      // The C-MOVE that was cut short runs again whole; the one done before is not asked again.
      assert.deepEqual(asked, ['2.25.6001', '2.25.6002', '2.25.6002', '2.25.6003']);
      assert.equal(seen?.Content.Completed, 3);
      assert.equal(seen?.Content.Failed, 0);
      for (const uid of ['2.25.6001.1.1', '2.25.6002.1.1', '2.25.6003.1.1'])
        assert.ok(pacs.index.has(uid), uid);
    } finally {
      await rest('/modalities/mover', { method: 'DELETE' });
      await mover.close({ abort: true });
    }
  });

  test('an unreadable jobs file is set aside: the PACS starts with no jobs', {
    timeout: 20_000,
  }, async () => {
    await pacs.close();
    writeFileSync(join(storage, 'jobs.json'), '{ not json');
    pacs = await startLoopbackPacs(storage, config());
    assert.deepEqual(await (await rest('/jobs')).json(), []);
    assert.equal(readFileSync(join(storage, 'jobs.json.bad'), 'utf8'), '{ not json');
  });

  test('bad bodies and config-file modalities are refused, naming what is wrong', {
    timeout: 10_000,
  }, async () => {
    const refusal = async (response: Response) => [
      response.status,
      ((await response.json()) as { error: string }).error,
    ];
    const [tlsStatus, tls] = await refusal(
      await put('x', { AET: 'X', Host: 'h', Port: 1, UseDicomTls: true }),
    );
    assert.equal(tlsStatus, 400);
    assert.match(tls as string, /^UseDicomTls needs dicom.tls/);
    const [manufacturerStatus, manufacturer] = await refusal(
      await put('x', { AET: 'X', Host: 'h', Port: 1, Manufacturer: 'GE' }),
    );
    assert.equal(manufacturerStatus, 400);
    assert.match(manufacturer as string, /^Manufacturer: "GE" is not supported/);
    const [, aet] = await refusal(await put('x', { AET: 'A\\B', Host: 'h', Port: 1 }));
    assert.match(aet as string, /^AET must be an AE title/);
    const [, port] = await refusal(await put('x', { AET: 'X', Host: 'h' }));
    assert.match(port as string, /^Port must be a port number/);
    const [, unknown] = await refusal(await put('x', { AET: 'X', Host: 'h', Port: 1, Colour: 'red' }));
    assert.match(unknown as string, /^unknown field Colour/);
    const [nameStatus] = await refusal(await put('a%20b', { AET: 'X', Host: 'h', Port: 1 }));
    assert.equal(nameStatus, 400);
    // The config file's own form is accepted as well.
    assert.equal((await put('y', { aeTitle: 'Y', host: 'h', port: 2, checkHost: false })).status, 200);
    assert.equal(
      ((await (await rest('/modalities/y/configuration')).json()) as { CheckHost: boolean }).CheckHost,
      false,
    );
    assert.equal((await rest('/modalities/y', { method: 'DELETE' })).status, 200);

    const [conflict, why] = await refusal(await put('ct', { AET: 'CT', Host: '127.0.0.1', Port: 105 }));
    assert.equal(conflict, 409);
    assert.match(why as string, /config file \("modalities.ct"\)/);
    assert.equal((await put('ct', { AET: 'CT', Host: '127.0.0.1', Port: 104 })).status, 200, 'unchanged');
    assert.equal((await rest('/modalities/ct', { method: 'DELETE' })).status, 409);
    assert.deepEqual(await (await rest('/modalities')).json(), ['ct']);
  });
});
