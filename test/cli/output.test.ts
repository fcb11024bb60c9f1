import { describe, expect, it } from 'vitest';
import { formatTable } from '../../src/cli/output.js';

describe('formatTable', () => {
  it('aligns columns two spaces apart, numbers to the right, with no trailing spaces', () => {
    const lines = formatTable(['TOPIC', 'PARTITION', 'NOTE'], [
      ['orders', 0, 'first'],
      ['events-long', 12, ''],
    ]);
    expect(lines).toEqual(['TOPIC        PARTITION  NOTE', 'orders               0  first', 'events-long         12']);
  });

  it("prints a missing value as '-' and keeps a column of only missing values left-aligned", () => {
    const lines = formatTable(['GROUP', 'LAG', 'PROTOCOL'], [
      ['billing', null, null],
      ['audit', 7, null],
    ]);
    expect(lines).toEqual(['GROUP    LAG  PROTOCOL', 'billing    -  -', 'audit      7  -']);
  });

  it('prints only the header for no rows', () => {
    expect(formatTable(['A', 'B'], [])).toEqual(['A  B']);
  });
});
