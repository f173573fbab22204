import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Console } from './console.ts';
import { DailyRollingFile, parseLogConfig, patternLayout, strftime } from './log-config.ts';

const dir = mkdtempSync(join(tmpdir(), 'dicomkit-log-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const event = (level: number, message: string, logger = 'dcmtk.apps.echoscu') => ({
  level,
  logger,
  message,
  time: new Date(Date.UTC(2024, 4, 17, 13, 45, 58, 7)),
});

describe('log4cplus configuration files (-lc)', () => {
  test('PatternLayout: width, alignment, precision, logger components, dates, %%', () => {
    const layout = patternLayout('[%-6p][%5p][%c][%c{1}][%.4c] %d{%Y-%m-%d %H:%M:%S.%q} 100%% %m%n');
    assert.equal(
      layout(event(2, 'Requesting Association')),
      '[INFO  ][ INFO][dcmtk.apps.echoscu][echoscu][oscu] 2024-05-17 13:45:58.007 100% Requesting Association\n',
    );
    // A message of several lines is a record per line, as DCMTK logs dumps.
    assert.equal(patternLayout('%p: %m%n')(event(1, 'a\nb')), 'DEBUG: a\nDEBUG: b\n');
    // The simple and TTCC layouts write a message of several lines as it is (DCMTK's
    // --arguments message ends in a newline: an empty line follows it).
    assert.equal(patternLayout('%p - %m%n', false)(event(2, 'a\n')), 'INFO - a\n\n');
    assert.equal(
      strftime('%y %b %a %e %I%p', new Date(Date.UTC(2024, 0, 7, 15)), true),
      '24 Jan Sun  7 03PM',
    );
  });

  test('levels and appenders by logger name, thresholds, additivity, the appname variable', () => {
    const file = join(dir, 'levels');
    const config = parseLogConfig(
      [
        '# comment',
        'log4cplus.rootLogger = WARN, all',
        'log4cplus.logger.dcmtk.dcmnet = DEBUG, net',
        'log4cplus.logger.dcmtk.quiet = OFF',
        'log4cplus.logger.dcmtk.alone = INFO, net',
        'log4cplus.additivity.dcmtk.alone = false',
        'log4cplus.appender.all = log4cplus::FileAppender',
        `log4cplus.appender.all.File = ${file}-\${appname}.log`,
        'log4cplus.appender.net = log4cplus::FileAppender',
        `log4cplus.appender.net.File = ${file}-net.log`,
        'log4cplus.appender.net.Threshold = INFO',
        'log4cplus.appender.net.layout = log4cplus::PatternLayout',
        'log4cplus.appender.net.layout.ConversionPattern = %c %p %m%n',
      ].join('\n'),
      'findscu',
    );
    assert.equal(config.levelOf('dcmtk.apps.findscu'), 3, 'the root level');
    assert.equal(config.levelOf('dcmtk.dcmnet.sub'), 1, "the nearest ancestor's");
    config.log('dcmtk.apps.findscu', 2, 'below WARN');
    config.log('dcmtk.apps.findscu', 4, 'an error');
    config.log('dcmtk.dcmnet', 1, 'below the threshold of net');
    config.log('dcmtk.dcmnet', 2, 'to both');
    config.log('dcmtk.quiet', 5, 'never');
    config.log('dcmtk.alone', 2, 'only to net');
    assert.equal(
      readFileSync(`${file}-findscu.log`, 'utf8'),
      'ERROR - an error\nDEBUG - below the threshold of net\nINFO - to both\n',
      // As in log4cplus: the level of the logger that logs decides, then every appender up the
      // chain takes the event (the root's WARN does not filter what dcmtk.dcmnet logs).
      'SimpleLayout, the default',
    );
    assert.equal(
      readFileSync(`${file}-net.log`, 'utf8'),
      'dcmtk.dcmnet INFO to both\ndcmtk.alone INFO only to net\n',
    );
  });

  test('RollingFileAppender keeps MaxBackupIndex files of about MaxFileSize', () => {
    const file = join(dir, 'rolling.log');
    const config = parseLogConfig(
      [
        'log4cplus.rootLogger = INFO, r',
        'log4cplus.appender.r = log4cplus::RollingFileAppender',
        `log4cplus.appender.r.File = ${file}`,
        'log4cplus.appender.r.MaxFileSize = 200KB',
        'log4cplus.appender.r.MaxBackupIndex = 2',
        'log4cplus.appender.r.layout = log4cplus::PatternLayout',
        'log4cplus.appender.r.layout.ConversionPattern = %m%n',
      ].join('\n'),
      'storescp',
    );
    const line = 'x'.repeat(1023);
    for (let i = 0; i < 700; i++) config.log('dcmtk.apps.storescp', 2, line);
    for (const path of [file, `${file}.1`, `${file}.2`]) {
      assert.ok(existsSync(path), path);
      assert.ok(statSync(path).size <= 200 * 1024, `${path} within MaxFileSize`);
    }
    assert.ok(!existsSync(`${file}.3`), 'no more than MaxBackupIndex backups');
  });

  test('DailyRollingFileAppender: a new period renames the file after the one that ended; so does the end', () => {
    const file = join(dir, 'daily.log');
    const at = (minute: number, second: number) => new Date(2024, 4, 17, 10, minute, second);
    const rolling = new DailyRollingFile(file, 'minutely', 2, at(0, 30));
    rolling.write('one\n', at(0, 40));
    rolling.write('two\n', at(1, 5));
    assert.equal(readFileSync(`${file}.2024-05-17-10-00`, 'utf8'), 'one\n');
    assert.equal(readFileSync(file, 'utf8'), 'two\n');
    rolling.close();
    assert.equal(readFileSync(`${file}.2024-05-17-10-01`, 'utf8'), 'two\n');
    assert.equal(readFileSync(file, 'utf8'), '');
    // A second run in the same period: the earlier file of that period moves to .1.
    const again = new DailyRollingFile(file, 'MINUTELY', 2, at(1, 30));
    again.write('three\n', at(1, 31));
    again.close();
    assert.equal(readFileSync(`${file}.2024-05-17-10-01`, 'utf8'), 'three\n');
    assert.equal(readFileSync(`${file}.2024-05-17-10-01.1`, 'utf8'), 'two\n');
    // WEEKLY's suffix: the week of the year, Monday first (as C's strftime %W).
    assert.equal(strftime('%Y-%W', new Date(2023, 0, 1), false), '2023-00');
    assert.equal(strftime('%Y-%W', new Date(2024, 0, 7), false), '2024-01');
    assert.equal(strftime('%Y-%W', new Date(2024, 0, 8), false), '2024-02');
    assert.equal(strftime('%Y-%W', new Date(2026, 10, 24), false), '2026-47');
  });

  test('the tools: -lc refuses -v, -d, -q and -ll as DCMTK does, and a missing file', () => {
    const path = join(dir, 'console.cfg');
    writeFileSync(path, 'log4cplus.rootLogger = INFO, c\nlog4cplus.appender.c = log4cplus::NullAppender\n');
    assert.throws(
      () => new Console({ logConfig: path, verbose: true }, 'echoscu'),
      /not allowed with --verbose/,
    );
    assert.throws(
      () => new Console({ logConfig: path, logLevel: 'debug' }, 'echoscu'),
      /not allowed with --log-level/,
    );
    assert.throws(() => new Console({ logConfig: join(dir, 'nope.cfg') }, 'echoscu'), /does not exist/);
    const console = new Console({ logConfig: path }, 'echoscu');
    assert.ok(console.enabled('info') && !console.enabled('debug'), "the file's level decides");
    assert.equal(console.logger.debugEnabled, false);
  });
});
