/**
 * Every option DCMTK's tools list in their --help is accepted by the dicomkit tool of the
 * same name, under DCMTK's spelling or long name, or is listed below as not supported with
 * the reason. The test fails on an option neither accepted nor listed (a new gap), and on a
 * listed option that is now accepted (so the list stays true).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Command } from 'commander';
import type { DcmtkAliases } from '../../src/cli/common/dcmtk-args.ts';
import { requirePeer, runPeer } from '../helpers/peers.ts';

interface Tool {
  dcmtk: string;
  load: () => Promise<{ command: Command; aliases: DcmtkAliases }>;
}

const TOOLS: Record<string, Tool> = {
  echoscu: {
    dcmtk: 'echoscu',
    load: async () => {
      const m = await import('../../src/cli/echoscu.ts');
      return { command: m.echoscuCommand(), aliases: m.ECHOSCU_ALIASES };
    },
  },
  storescu: {
    dcmtk: 'storescu',
    load: async () => {
      const m = await import('../../src/cli/storescu.ts');
      return { command: m.storescuCommand(), aliases: m.STORESCU_ALIASES };
    },
  },
  findscu: {
    dcmtk: 'findscu',
    load: async () => {
      const m = await import('../../src/cli/findscu.ts');
      return { command: m.findscuCommand(), aliases: m.FINDSCU_ALIASES };
    },
  },
  movescu: {
    dcmtk: 'movescu',
    load: async () => {
      const m = await import('../../src/cli/movescu.ts');
      return { command: m.movescuCommand(), aliases: m.MOVESCU_ALIASES };
    },
  },
  getscu: {
    dcmtk: 'getscu',
    load: async () => {
      const m = await import('../../src/cli/getscu.ts');
      return { command: m.getscuCommand(), aliases: m.GETSCU_ALIASES };
    },
  },
  storescp: {
    dcmtk: 'storescp',
    load: async () => {
      const m = await import('../../src/cli/storescp.ts');
      return { command: m.storescpCommand(), aliases: m.STORESCP_ALIASES };
    },
  },
  dump: {
    dcmtk: 'dcmdump',
    load: async () => {
      const m = await import('../../src/cli/dump.ts');
      return { command: m.dumpCommand(), aliases: m.DUMP_ALIASES };
    },
  },
  xml: {
    dcmtk: 'dcm2xml',
    load: async () => {
      const m = await import('../../src/cli/xml.ts');
      return { command: m.xmlCommand(), aliases: m.XML_ALIASES };
    },
  },
  dump2dcm: {
    dcmtk: 'dump2dcm',
    load: async () => {
      const m = await import('../../src/cli/dump2dcm.ts');
      return { command: m.dump2dcmCommand(), aliases: m.DUMP2DCM_ALIASES };
    },
  },
};

const DCMTK_CORRECTIONS =
  "DCMTK's automatic corrections of damaged input, which dicomkit's reader does not make";
const TCP_WRAPPERS = 'TCP wrappers (libwrap); dicomkit pacs has its own access control';

/** Options not supported, by tool, with the reason. */
const NOT_SUPPORTED: Record<string, Record<string, string>> = {
  findscu: {
    '+dc': DCMTK_CORRECTIONS,
  },
  movescu: {
    '+ac': TCP_WRAPPERS,
  },
  storescp: {
    '+ac': TCP_WRAPPERS,
  },
  dump: {
    '+ml': 'the meta group is read to its last (0002,xxxx) element, whatever its group length says',
    '-ml': 'the meta group is read to its last (0002,xxxx) element, whatever its group length says',
    '+ae': 'odd lengths are taken as they are',
    '-ev': 'the VR in the data set is used',
    '+vr': 'an unknown VR in explicit VR data is read as implicit VR (-vr), not as UN',
    '-ui': 'undefined length UN is read as implicit VR items (CP-246), always',
    '+uc': 'UN elements are shown as read (text values of known tags decode as their VR)',
    '-sq': 'undefined length private elements are read as sequences (+sq), always',
    '-rd': "DCMTK's replacement of wrong delimitation items",
    '+rd': "DCMTK's replacement of wrong delimitation items",
    '-oi': 'undefined length OB/OW is read as a sequence (+oi), always',
    '-vi': 'a VOI LUT Sequence encoded as OW is read as OW',
    '+vi': 'a VOI LUT Sequence encoded as OW is read as OW',
    '-pe': 'explicit length pixel data in an encapsulated syntax is read as a value (+pe), always',
    '+Ep': 'parsing stops at an error; +E prints what was read',
    '+dc': DCMTK_CORRECTIONS,
  },
  xml: {
    '+Xe': "embedding DCMTK's dcm2xml.dtd: dicomkit ships no DTD",
    '+Xf': "referencing DCMTK's dcm2xml.dtd file: dicomkit ships no DTD",
  },
};

/** An option line of DCMTK's --help: `  +P   --search   [t]ag: ...`. */
function dcmtkOptions(help: string): { short: string; long: string | undefined }[] {
  const out: { short: string; long: string | undefined }[] = [];
  for (const line of help.split('\n')) {
    const m = /^\s+([-+][^\s,]+)(?:\s+--([\w-]+))?/.exec(line);
    if (!m) continue;
    // Options with a long name only (--version, --arguments, --repeat...) are their own short.
    const short = m[1]!;
    out.push({ short, long: m[2] ? `--${m[2]}` : short.startsWith('--') ? short : undefined });
  }
  return out;
}

describe("DCMTK's options, tool by tool", () => {
  for (const [name, tool] of Object.entries(TOOLS)) {
    test(`dicomkit ${name} accepts every option of ${tool.dcmtk} --help, or lists why not`, async () => {
      requirePeer(tool.dcmtk);
      const help = runPeer(tool.dcmtk, ['--help']);
      const options = dcmtkOptions(help.stdout);
      assert.ok(options.length > 10, `${tool.dcmtk} --help lists its options`);
      const { command, aliases } = await tool.load();
      const longs = new Set(command.options.map((o) => o.long));
      // --version and --help are answered before the command parses (src/cli/main.ts).
      const accepted = (short: string, long: string | undefined) =>
        short === '--version' ||
        short === '--help' ||
        Object.hasOwn(aliases, short) ||
        (long !== undefined && longs.has(long));
      const listed = NOT_SUPPORTED[name] ?? {};
      const gaps = options.filter((o) => !accepted(o.short, o.long) && !listed[o.short]);
      assert.deepEqual(gaps, [], 'options neither accepted nor listed as not supported');
      const stale = Object.keys(listed).filter((short) => {
        const o = options.find((x) => x.short === short);
        return o === undefined || accepted(o.short, o.long);
      });
      assert.deepEqual(stale, [], 'listed as not supported, but accepted (or not in DCMTK any more)');
    });
  }
});
