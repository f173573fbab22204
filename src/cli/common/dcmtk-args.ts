/**
 * DCMTK spells options `+P`, `-Un`, `-aet`: words after one dash or a plus, which
 * commander would read as bundles of one-letter flags. Each tool lists its DCMTK spellings
 * here and they are rewritten to the long options commander knows before it parses.
 */
export type DcmtkAliases = Readonly<Record<string, string>>;

export function translateDcmtkArgs(args: readonly string[], aliases: DcmtkAliases): string[] {
  const out: string[] = [];
  let afterDoubleDash = false;
  for (const arg of args) {
    if (afterDoubleDash) {
      out.push(arg);
      continue;
    }
    if (arg === '--') afterDoubleDash = true;
    const long = aliases[arg];
    out.push(long ?? arg);
  }
  return out;
}

/** Options every tool shares, with DCMTK's spellings. */
export const COMMON_ALIASES: DcmtkAliases = {
  '-q': '--quiet',
  '-v': '--verbose',
  '-d': '--debug',
  '-h': '--help',
};
