/** One line of a dcmdump-style dump, reduced to what the comparison looks at. */
export interface DumpRecord {
  /** Nesting depth (indentation / 2). */
  depth: number;
  tag: string;
  vr: string;
  value: string;
  vm: number;
  line: number;
}

const LINE = /^(\s*)\(([0-9a-f]{4}),([0-9a-f]{4})\) (\S\S) (.*?)\s*#\s*(u\/l|\d+|\?),\s*(\d+) (.*)$/;

/** Parses dcmdump output (ours or DCMTK's) into records; comment and header lines are skipped. */
export function parseDumpRecords(text: string): DumpRecord[] {
  const records: DumpRecord[] = [];
  text.split('\n').forEach((raw, index) => {
    const m = LINE.exec(raw);
    if (!m) return;
    records.push({
      depth: m[1]!.length / 2,
      tag: `${m[2]},${m[3]}`,
      vr: m[4]!,
      value: m[5]!,
      vm: Number(m[7]),
      line: index + 1,
    });
  });
  return records;
}
