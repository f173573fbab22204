import type { ChangeLogEntry } from '../index/types.ts';
import { type HttpContext, paging, queryParam, type Route } from './context.ts';
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
        const { since, limit } = paging(request);
        const { entries, done } = index.changeLog(since, Math.min(limit ?? DEFAULT_LIMIT, MAX_LIMIT));
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
export function basicIsoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace(/[-:]/g, '');
}
