/**
 * Aligned plain-text tables for command output, as Kafka's tools print them: a header row in
 * capitals, columns two spaces apart, numbers right-aligned, no trailing spaces (so output
 * stays easy to grep, cut and diff). Pure: returns lines, the caller prints them.
 */
export type Cell = string | number | bigint | null;

const GAP = '  ';

/** A missing value (null) prints as '-', as Kafka's tools print an unknown offset or lag. */
function cellText(cell: Cell): string {
  return cell === null ? '-' : String(cell);
}

function isNumeric(cell: Cell): boolean {
  return typeof cell === 'number' || typeof cell === 'bigint';
}

export function formatTable(headers: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<Cell>>): string[] {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => cellText(row[column] ?? null).length)));
  // A column is right-aligned when it holds numbers and nothing else (missing values aside).
  const right = headers.map(
    (_header, column) =>
      rows.some((row) => isNumeric(row[column] ?? null)) && rows.every((row) => isNumeric(row[column] ?? null) || (row[column] ?? null) === null),
  );
  const line = (cells: ReadonlyArray<string>, numeric: ReadonlyArray<boolean>): string =>
    cells
      .map((text, column) => (numeric[column] === true ? text.padStart(widths[column]!) : text.padEnd(widths[column]!)))
      .join(GAP)
      .trimEnd();
  return [
    line(headers, right),
    ...rows.map((row) => line(headers.map((_header, column) => cellText(row[column] ?? null)), right)),
  ];
}

