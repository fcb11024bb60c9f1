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
  // A column is right-aligned when it holds numbers and nothing else (missing values aside).
  const right = headers.map(
    (_header, column) =>
      rows.some((row) => isNumeric(row[column] ?? null)) && rows.every((row) => isNumeric(row[column] ?? null) || (row[column] ?? null) === null),
  );
  return alignRows([headers, ...rows.map((row) => headers.map((_header, column) => cellText(row[column] ?? null)))], right);
}

/** Rows of text cells padded to their columns' widths (right-aligned where asked), two spaces apart. */
export function alignRows(rows: ReadonlyArray<ReadonlyArray<string>>, rightAligned: ReadonlyArray<boolean>): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, column) => (widths[column] = Math.max(widths[column] ?? 0, cell.length)));
  return rows.map((row) =>
    row
      .map((text, column) => (rightAligned[column] === true ? text.padStart(widths[column]!) : text.padEnd(widths[column]!)))
      .join(GAP)
      .trimEnd(),
  );
}

