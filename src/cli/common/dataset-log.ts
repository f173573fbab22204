import { type DataSet, dumpDataSet } from '../../object/index.ts';
import { syntaxName } from './transfer-syntaxes.ts';

/**
 * A data set as DCMTK's PrintHelper shows it in a log (findscu's responses, movescu's request
 * identifiers): a blank line, the header with the transfer syntax, one line per element, a blank line.
 */
export function dumpForLog(dataset: DataSet, transferSyntax: string): string {
  return [
    '',
    '# Dicom-Data-Set',
    `# Used TransferSyntax: ${syntaxName(transferSyntax)}`,
    ...dumpDataSet(dataset),
    '',
  ].join('\n');
}
