import type { FastifyRequest } from 'fastify';
import { isValidUid } from '../../core/index.ts';
import { DataSet } from '../../object/index.ts';
import { CommitmentFailureReason, type SopReference, verificationContext } from '../../services/index.ts';
import type { CommitmentTransaction } from '../commitment.ts';
import {
  ConfigError,
  type ModalityConfig,
  type ModalityPermissions,
  parseModality,
  tlsNeeded,
} from '../config.ts';
import type { QueryLevel } from '../index/types.ts';
import { ModalityConflictError } from '../modalities.ts';
import { type HttpContext, jsonBody, jsonObject, params, queryParam, type Route } from './context.ts';
import { badRequest, HttpError, notFound } from './errors.ts';
import { runMaybeAsJob } from './jobs.ts';
import { fillFromKeywords } from './keywords.ts';
import { ID_KEY, parseLevel, TYPE } from './levels.ts';
import { identifiersJson, operations, peerOf } from './operations.ts';
import { type NamedModality, remoteModalities, timeoutOf } from './remote.ts';

/**
 * The modalities route table: the configured peers (`modalities` in the config) and, against
 * one, the SCU operations of Orthanc's /modalities/{id}/...: echo, store (push resources), move
 * (C-MOVE, by default into this PACS) and storage commitment. Queries (C-FIND) are in
 * queries.ts, which keeps their answers. A peer that refuses, fails or cannot be reached is a
 * 502 naming it.
 */

function describeModality(m: ModalityConfig): Record<string, unknown> {
  return {
    AET: m.aeTitle,
    Host: m.host,
    Port: m.port,
    AllowEcho: m.permissions.echo,
    AllowStore: m.permissions.store,
    AllowFind: m.permissions.find,
    AllowMove: m.permissions.move,
    AllowGet: m.permissions.get,
    CheckHost: m.checkHost,
    UseDicomTls: m.useTls,
  };
}

/** Orthanc's permission fields, and ours they set. */
const PERMISSION_FIELDS: Record<string, keyof ModalityPermissions> = {
  AllowEcho: 'echo',
  AllowStore: 'store',
  AllowFind: 'find',
  AllowMove: 'move',
  AllowGet: 'get',
};

/**
 * Orthanc's modality fields that dicomkit has no counterpart for, with Orthanc's defaults:
 * accepted at those values (so that `GET /modalities?expand` of an Orthanc can be put here
 * as it is), refused at any other, which would otherwise be silently ignored.
 */
const ORTHANC_ONLY_FIELDS: Record<string, unknown> = {
  Manufacturer: 'Generic',
  AllowFindWorklist: true,
  AllowNAction: true,
  AllowEventReport: true,
  AllowStorageCommitment: true,
  AllowTranscoding: true,
  LocalAet: '',
  Timeout: 0,
};

/** Our config's field of each Orthanc field, to name the one at fault in an error. */
const ORTHANC_NAMES: Record<string, string> = {
  aeTitle: 'AET',
  host: 'Host',
  port: 'Port',
  checkHost: 'CheckHost',
  useTls: 'UseDicomTls',
  ...Object.fromEntries(
    Object.entries(PERMISSION_FIELDS).map(([orthanc, ours]) => [`permissions.${ours}`, orthanc]),
  ),
};

/** Symbolic names: Orthanc asks for alphanumeric ones; they are also keys of a JSON file. */
const MODALITY_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * The body of PUT /modalities/{name}: Orthanc's object (`AET`, `Host`, `Port`, `Allow*`, and
 * our `CheckHost`), its short form `[AET, host, port]` (a fourth item, the manufacturer,
 * "Generic" only), or the config file's own form (`aeTitle`, `host`, `port`, ...).
 */
function modalityFromBody(name: string, body: unknown, tls: boolean): ModalityConfig {
  const unsupported = (field: string, value: unknown): HttpError =>
    badRequest(
      `${field}: ${JSON.stringify(value)} is not supported (dicomkit has no such setting; only ${JSON.stringify(ORTHANC_ONLY_FIELDS[field])} is accepted)`,
    );
  let form: unknown = body;
  let orthanc = false;
  if (Array.isArray(body)) {
    if (body.length === 4) {
      if (body[3] !== ORTHANC_ONLY_FIELDS.Manufacturer) throw unsupported('Manufacturer', body[3]);
      form = body.slice(0, 3);
    }
  } else if (typeof body === 'object' && body !== null && !('aeTitle' in body)) {
    orthanc = true;
    const fields = body as Record<string, unknown>;
    const permissions: Record<string, unknown> = {};
    for (const [field, value] of Object.entries(fields)) {
      if (Object.hasOwn(PERMISSION_FIELDS, field)) permissions[PERMISSION_FIELDS[field]!] = value;
      else if (Object.hasOwn(ORTHANC_ONLY_FIELDS, field)) {
        if (value !== ORTHANC_ONLY_FIELDS[field]) throw unsupported(field, value);
      } else if (!['AET', 'Host', 'Port', 'CheckHost', 'UseDicomTls'].includes(field)) {
        throw badRequest(
          `unknown field ${field} (known: AET, Host, Port, CheckHost, UseDicomTls, ${[...Object.keys(PERMISSION_FIELDS), ...Object.keys(ORTHANC_ONLY_FIELDS)].join(', ')})`,
        );
      }
    }
    form = {
      aeTitle: fields.AET,
      host: fields.Host,
      port: fields.Port,
      ...(fields.CheckHost !== undefined ? { checkHost: fields.CheckHost } : {}),
      ...(fields.UseDicomTls !== undefined ? { useTls: fields.UseDicomTls } : {}),
      permissions,
    };
  }
  try {
    const modality = parseModality(form, name);
    if (modality.useTls && !tls) throw tlsNeeded(`${name}.useTls`);
    return modality;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // "config <key>: <why>", with the key in the body's own terms.
    const why = error.message.slice(`config ${error.key}: `.length);
    const field = error.key.slice(name.length).replace(/^\./, '');
    const shown = orthanc ? (ORTHANC_NAMES[field] ?? field) : field;
    throw badRequest(shown === '' ? why : `${shown} ${why}`);
  }
}

/** The sub-routes of /modalities/{name} (Orthanc's GET /modalities/{id} lists its own). */
const MODALITY_OPERATIONS = [
  'configuration',
  'echo',
  'get',
  'move',
  'query',
  'storage-commitment',
  'store',
  'store-straight',
];

/** Orthanc's descriptions of the Failure Reasons (PS3.3 §C.14.1.1). */
const FAILURE_DESCRIPTIONS: Record<number, string> = {
  [CommitmentFailureReason.ProcessingFailure]: 'Processing failure',
  [CommitmentFailureReason.NoSuchObjectInstance]: 'No such object instance',
  [CommitmentFailureReason.ClassInstanceConflict]: 'Class/instance conflict',
  [CommitmentFailureReason.ReferencedSopClassNotSupported]: 'Referenced SOP Class not supported',
  [CommitmentFailureReason.DuplicateTransactionUid]: 'Duplicate transaction UID',
  [CommitmentFailureReason.ResourceLimitation]: 'Resource limitation',
};

/** Orthanc's `DicomInstances`: [{ SOPClassUID, SOPInstanceUID }] or [[class, instance]]. */
function dicomInstancesOf(value: unknown): SopReference[] {
  if (!Array.isArray(value)) throw badRequest('DicomInstances must be a list');
  return value.map((entry, i) => {
    const [sopClassUid, sopInstanceUid] = Array.isArray(entry)
      ? entry
      : typeof entry === 'object' && entry !== null
        ? [(entry as Record<string, unknown>).SOPClassUID, (entry as Record<string, unknown>).SOPInstanceUID]
        : [];
    if (
      typeof sopClassUid !== 'string' ||
      typeof sopInstanceUid !== 'string' ||
      !isValidUid(sopClassUid) ||
      !isValidUid(sopInstanceUid)
    ) {
      throw badRequest(`DicomInstances[${i}] must be { "SOPClassUID": uid, "SOPInstanceUID": uid }`);
    }
    return { sopClassUid, sopInstanceUid };
  });
}

function describeTransaction(transaction: CommitmentTransaction): Record<string, unknown> {
  const answer: Record<string, unknown> = {
    RemoteAET: transaction.remoteAeTitle,
    Status: transaction.status,
  };
  if (transaction.report) {
    answer.Success = transaction.report.committed.map((r) => ({
      SOPClassUID: r.sopClassUid,
      SOPInstanceUID: r.sopInstanceUid,
    }));
    answer.Failures = transaction.report.failed.map((f) => ({
      SOPClassUID: f.sopClassUid,
      SOPInstanceUID: f.sopInstanceUid,
      FailureReason: f.reason,
      Description: FAILURE_DESCRIPTIONS[f.reason] ?? 'Unknown failure reason',
    }));
  }
  return answer;
}

/** The identifiers of a move or get body: `Level`, and `Resources` as keys or UIDs of that level. */
function retrieveIdentifiers(body: Record<string, unknown>): { level: QueryLevel; identifiers: DataSet[] } {
  const level = parseLevel(body.Level ?? 'Study');
  const resources = body.Resources;
  if (!Array.isArray(resources) || resources.length === 0) {
    throw badRequest(`Resources must be a non-empty list of ${TYPE[level].toLowerCase()} keys or UIDs`);
  }
  const identifiers = resources.map((resource, i) => {
    const identifier = new DataSet();
    if (typeof resource === 'string') {
      identifier.set(ID_KEY[level], resource);
    } else if (typeof resource === 'object' && resource !== null && !Array.isArray(resource)) {
      fillFromKeywords(identifier, resource as Record<string, unknown>, `Resources[${i}]`);
    } else {
      throw badRequest(`Resources[${i}] must be an object of keyword: value or a UID`);
    }
    identifier.set('QueryRetrieveLevel', level);
    return identifier;
  });
  return { level, identifiers };
}

export function modalityRoutes(ctx: HttpContext): Route[] {
  const { logger, commitment, modalities, config } = ctx.pacs;
  const tlsConfigured = config.dicom.tls !== undefined;

  /** A registry change; changing a config-file modality is a 409 naming its key. */
  function change<T>(run: () => T): T {
    try {
      return run();
    } catch (error) {
      if (error instanceof ModalityConflictError) throw new HttpError(409, 'ERR_CONFLICT', error.message);
      throw error;
    }
  }

  const remote = remoteModalities(ctx);
  const ops = operations(ctx);
  const { label, withAssociation } = remote;
  const modality = (request: FastifyRequest): NamedModality => remote.named(params(request).name!);

  async function echo(m: NamedModality, timeout: number | undefined): Promise<void> {
    await withAssociation(m, [verificationContext()], timeout, async (association) => {
      const status = await association.echo();
      if (status !== 0) throw new HttpError(502, 'ERR_DIMSE_STATUS', `${label(m)}: C-ECHO status ${status}`);
    });
    logger.log('info', `REST: C-ECHO to ${label(m)}: success`);
  }

  return [
    {
      method: 'GET',
      url: '/modalities',
      async handler(request) {
        if (queryParam(request, 'expand') === undefined) return modalities.names();
        return Object.fromEntries(modalities.entries().map(([n, m]) => [n, describeModality(m)]));
      },
    },
    {
      method: 'GET',
      url: '/modalities/:name',
      async handler(request) {
        modality(request);
        return MODALITY_OPERATIONS;
      },
    },
    {
      // Orthanc's "Update DICOM modality": defines a modality or replaces one added this way.
      method: 'PUT',
      url: '/modalities/:name',
      async handler(request) {
        const name = params(request).name!;
        if (!MODALITY_NAME.test(name)) {
          throw badRequest(
            `a modality name is 1-64 letters, digits, '-', '_' or '.', not ${JSON.stringify(name)}`,
          );
        }
        const m = modalityFromBody(name, await jsonBody(request), tlsConfigured);
        const created = change(() => modalities.put(name, m));
        logger.log(
          'info',
          `REST: modality ${name} ${created ? 'added' : 'updated'}: ${m.aeTitle} at ${m.host}:${m.port}`,
        );
        return {};
      },
    },
    {
      method: 'DELETE',
      url: '/modalities/:name',
      async handler(request) {
        const name = params(request).name!;
        modality(request);
        change(() => modalities.delete(name));
        logger.log('info', `REST: modality ${name} deleted`);
        return {};
      },
    },
    {
      method: 'GET',
      url: '/modalities/:name/configuration',
      async handler(request) {
        return describeModality(modality(request));
      },
    },
    {
      method: 'POST',
      url: '/modalities/:name/echo',
      async handler(request) {
        const body = await jsonBody(request);
        await echo(remote.callingAs(modality(request), body), timeoutOf(body));
        return {};
      },
    },
    {
      // Orthanc's /tools/dicom-echo: a C-ECHO to a peer described in the body, as a modality is
      // for PUT /modalities/{name} (plus `Timeout`), without registering it.
      method: 'POST',
      url: '/tools/dicom-echo',
      async handler(request) {
        const body = await jsonBody(request);
        const timeout = timeoutOf(body);
        const fields =
          typeof body === 'object' && body !== null && !Array.isArray(body)
            ? Object.fromEntries(
                Object.entries(body).filter(([key]) => key !== 'Timeout' && key !== 'LocalAet'),
              )
            : body;
        const peer = { name: '(dicom-echo)', ...modalityFromBody('', fields, tlsConfigured) };
        await echo(remote.callingAs(peer, body), timeout);
        return {};
      },
    },
    {
      // Body: { "Resources": [ids...] } (or the list alone, or one id), ids of any level.
      method: 'POST',
      url: '/modalities/:name/store',
      async handler(request) {
        const body = await jsonBody(request, { text: true });
        const m = remote.callingAs(modality(request), body);
        const list =
          typeof body === 'string'
            ? [body]
            : Array.isArray(body)
              ? body
              : (body as { Resources?: unknown }).Resources;
        if (
          !Array.isArray(list) ||
          list.length === 0 ||
          !list.every((r) => typeof r === 'string' && r !== '')
        ) {
          throw badRequest(
            'Resources must be a non-empty list of Patient IDs or study, series or instance UIDs',
          );
        }
        const ids = list as string[];
        const withCommitment = (body as { StorageCommitment?: unknown }).StorageCommitment;
        if (withCommitment !== undefined && typeof withCommitment !== 'boolean') {
          throw badRequest('StorageCommitment must be true or false');
        }
        // Checked now: an ID that names nothing is this request's 404, not a failed job.
        ops.filesOf(ids);
        const timeout = timeoutOf(body);
        return runMaybeAsJob(ctx, body, {
          kind: 'store',
          ...peerOf(m, timeout),
          resources: ids,
          storageCommitment: withCommitment === true,
        });
      },
    },
    {
      // Body: { "Level": "Study", "Resources": [ { "StudyInstanceUID": "..." } | "uid" ], "TargetAet"?: "..." }.
      method: 'POST',
      url: '/modalities/:name/move',
      async handler(request) {
        const body = await jsonObject(request);
        const m = remote.callingAs(modality(request), body);
        const { level, identifiers } = retrieveIdentifiers(body);
        // As Orthanc: to this PACS by default, under the AE title the call used.
        const target = remote.targetOf(body.TargetAet ?? m.localAeTitle);
        return runMaybeAsJob(ctx, body, {
          kind: 'move',
          ...peerOf(m, timeoutOf(body)),
          level,
          identifiers: identifiersJson(identifiers),
          target,
        });
      },
    },
    {
      // C-GET into this PACS, for a modality that cannot open an association back (a C-MOVE
      // destination behind a firewall or NAT). Body as /move, without TargetAet.
      method: 'POST',
      url: '/modalities/:name/get',
      async handler(request) {
        const body = await jsonObject(request);
        const m = remote.callingAs(modality(request), body);
        const { level, identifiers } = retrieveIdentifiers(body);
        return runMaybeAsJob(ctx, body, {
          kind: 'get',
          ...peerOf(m, timeoutOf(body)),
          level,
          identifiers: identifiersJson(identifiers),
        });
      },
    },
    {
      // Body: { "DicomInstances": [{ "SOPClassUID", "SOPInstanceUID" } | [class, instance]],
      // "Resources": [ids of any level], "Timeout"?: s } (either list or both), as Orthanc's.
      method: 'POST',
      url: '/modalities/:name/storage-commitment',
      async handler(request) {
        const m = modality(request);
        const body = await jsonBody(request);
        const object = Array.isArray(body) ? { Resources: body } : (body as Record<string, unknown>);
        if (typeof object !== 'object' || object === null) throw badRequest('the body must be a JSON object');
        const references = new Map<string, SopReference>();
        if (object.DicomInstances !== undefined) {
          for (const r of dicomInstancesOf(object.DicomInstances)) references.set(r.sopInstanceUid, r);
        }
        if (object.Resources !== undefined) {
          if (
            !Array.isArray(object.Resources) ||
            !object.Resources.every((r) => typeof r === 'string' && r !== '')
          ) {
            throw badRequest('Resources must be a list of Patient IDs or study, series or instance UIDs');
          }
          for (const f of ops.filesOf(object.Resources as string[]).values()) {
            references.set(f.sopInstanceUid, {
              sopClassUid: f.sopClassUid,
              sopInstanceUid: f.sopInstanceUid,
            });
          }
        }
        if (references.size === 0) throw badRequest('give the instances in DicomInstances or Resources');
        const id = await ops.requestCommitment(m, [...references.values()], timeoutOf(object));
        return { ID: id, Path: `/storage-commitment/${id}` };
      },
    },
    {
      method: 'GET',
      url: '/storage-commitment/:id',
      async handler(request) {
        const id = params(request).id!;
        const transaction = commitment.transaction(id);
        if (!transaction) throw notFound(`no storage commitment transaction ${id} (the last 100 are kept)`);
        return describeTransaction(transaction);
      },
    },
  ];
}
