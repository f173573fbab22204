import type { ChangeLogEntry } from '../index/types.ts';
import { type HttpContext, queryParam, type Route } from './context.ts';
import { badRequest } from './errors.ts';
import { ROUTE, TYPE } from './levels.ts';

/** Entries per page when `?limit` is not given, and the most one page holds (Orthanc's values). */
const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 4000;

/**
 * Orthanc's change log: `GET /changes?since=SEQ&limit=N` pages through what happened (New*,
 * Stable*, Deleted) oldest first, as `{ Changes, Done, Last }`; a client polls with `since`
 * set to the `Last` it got. `?last` gives the newest entry alone; `DELETE /changes` empties
 * the log (sequence numbers go on).
 */
export function changeRoutes(ctx: HttpContext): Route[] {
  const { index } = ctx.pacs;
  return [
    {
      method: 'GET',
      url: '/changes',
      async handler(request) {
        if (queryParam(request, 'last') !== undefined) {
          const last = index.lastChange();
          return { Changes: last ? [describe(last)] : [], Done: true, Last: last?.seq ?? 0 };
        }
        const since = whole(queryParam(request, 'since'), 'since') ?? 0;
        const limit = Math.min(whole(queryParam(request, 'limit'), 'limit') || DEFAULT_LIMIT, MAX_LIMIT);
        const { entries, done } = index.changeLog(since, limit);
        return { Changes: entries.map(describe), Done: done, Last: entries.at(-1)?.seq ?? since };
      },
    },
    {
      method: 'DELETE',
      url: '/changes',
      async handler() {
        index.clearChangeLog();
        return {};
      },
    },
  ];
}

function whole(text: string | undefined, name: string): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text === '' || !Number.isSafeInteger(value) || value < 0) {
    throw badRequest(`${name} must be a whole number, not ${JSON.stringify(text)}`);
  }
  return value;
}

function describe(entry: ChangeLogEntry): Record<string, unknown> {
  return {
    ChangeType: entry.type,
    Date: basicIsoDate(entry.at),
    ID: entry.resource,
    Path: `/${ROUTE[entry.level]}/${encodeURIComponent(entry.resource)}`,
    ResourceType: TYPE[entry.level],
    Seq: entry.seq,
  };
}

/** `20240131T235959`, UTC: the form of Orthanc's change dates. */
function basicIsoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace(/[-:]/g, '');
}
