import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brook, stopAllProcesses } from '../helpers/cli-process.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';

/**
 * The `--report` page opened in headless Chromium (Debian's `chromium`, installed by .ci/run):
 * after its scripts ran, the DOM must say both plots were drawn and hold an SVG line with points
 * for each run in each plot. Without Chromium the tests are skipped locally; in CI
 * (BROOK_REQUIRE_CLIENTS=1) a missing Chromium fails them.
 */
const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
const required = process.env['BROOK_REQUIRE_CLIENTS'] === '1';
const TIMEOUT_MS = 90_000;

function chromium(args: ReadonlyArray<string>, profile: string): { stdout: string; status: number | null; stderr: string } {
  const result = spawnSync(
    CHROMIUM,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--user-data-dir=${profile}`,
      ...args,
    ],
    { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
  );
  return { stdout: result.stdout, status: result.status, stderr: result.stderr };
}

interface DrawnPath {
  readonly series: string;
  readonly points: number;
  readonly coordinates: Array<[number, number]>;
}

/** The drawn lines of one <svg id="…"> in the dumped DOM. */
function pathsOf(dom: string, svgId: string): DrawnPath[] {
  const svg = new RegExp(`<svg[^>]*id="${svgId}"[^>]*>([\\s\\S]*?)</svg>`).exec(dom);
  expect(svg, `<svg id="${svgId}"> in the DOM`).not.toBeNull();
  const paths: DrawnPath[] = [];
  for (const match of svg![1]!.matchAll(/<path ([^>]*)>/g)) {
    const attributes = new Map([...match[1]!.matchAll(/([\w-]+)="([^"]*)"/g)].map((pair) => [pair[1]!, pair[2]!]));
    if (attributes.get('class') !== 'series') continue;
    const coordinates = [...(attributes.get('d') ?? '').matchAll(/[ML](-?[\d.]+),(-?[\d.]+)/g)].map((pair): [number, number] => [Number(pair[1]), Number(pair[2])]);
    paths.push({ series: attributes.get('data-series') ?? '', points: Number(attributes.get('data-points')), coordinates });
  }
  return paths;
}

function expectDrawn(path: DrawnPath, minimumPoints: number): void {
  expect(path.points).toBeGreaterThanOrEqual(minimumPoints);
  expect(path.coordinates).toHaveLength(path.points);
  for (const [x, y] of path.coordinates) {
    // Inside the 760 × 340 viewBox: the scales put every point on the plot.
    expect(x).toBeGreaterThanOrEqual(0);
    expect(x).toBeLessThanOrEqual(760);
    expect(y).toBeGreaterThanOrEqual(0);
    expect(y).toBeLessThanOrEqual(340);
  }
  // Not a flat line through one point: the plot has extent along x.
  const xs = path.coordinates.map(([x]) => x);
  expect(Math.max(...xs) - Math.min(...xs)).toBeGreaterThan(100);
}

describe.skipIf(!hasChromium && !required)('brook bench --report in headless Chromium', () => {
  let dir: TempDir;
  beforeAll(() => {
    dir = makeTempDir('brook-report-');
  });
  afterAll(() => {
    stopAllProcesses();
    dir.remove();
  });

  it('is installed (CI requires it)', () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is required (apt-get install chromium)`).toBe(true);
  });

  it('draws throughput over time and the latency percentile curve of an e2e run', async () => {
    const report = join(dir.path, 'e2e.html');
    const run = await brook(['bench', '--mode', 'e2e', '--rate', '2000', '--duration', '1.5', '--report', report], { timeoutMs: TIMEOUT_MS });
    expect(run.code).toBe(0);
    const dom = chromium(['--dump-dom', pathToFileURL(report).href], join(dir.path, 'profile-e2e'));
    expect(dom.status, dom.stderr).toBe(0);
    expect(dom.stdout).toMatch(/<body[^>]*data-rendered="2"/);
    const throughput = pathsOf(dom.stdout, 'throughput-chart');
    const latency = pathsOf(dom.stdout, 'latency-chart');
    expect(throughput).toHaveLength(1);
    expect(latency).toHaveLength(1);
    expectDrawn(throughput[0]!, 5);
    expectDrawn(latency[0]!, 20);
    // Latency never decreases with the percentile: y (downwards in SVG) never increases.
    const ys = latency[0]!.coordinates.map(([, y]) => y);
    for (let index = 1; index < ys.length; index++) expect(ys[index]!).toBeLessThanOrEqual(ys[index - 1]! + 1e-6);
    expect(dom.stdout).toContain('records/s');
  }, TIMEOUT_MS);

  it('draws one line per side of a --compare run, and a screenshot shows the page', async () => {
    const report = join(dir.path, 'compare.html');
    const run = await brook(['bench', '--records', '30000', '--compare', 'batch-size=200', 'batch-size=1000', '--rounds', '1', '--report', report], { timeoutMs: TIMEOUT_MS });
    expect(run.code).toBe(0);
    const dom = chromium(['--dump-dom', pathToFileURL(report).href], join(dir.path, 'profile-compare'));
    expect(dom.status, dom.stderr).toBe(0);
    expect(dom.stdout).toMatch(/<body[^>]*data-rendered="2"/);
    const latency = pathsOf(dom.stdout, 'latency-chart');
    expect(latency.map((path) => path.series)).toEqual(['A: batch-size=200', 'B: batch-size=1000']);
    for (const path of latency) expectDrawn(path, 3);
    expect(pathsOf(dom.stdout, 'throughput-chart')).toHaveLength(2);
    const screenshot = join(dir.path, 'compare.png');
    const shot = chromium(['--window-size=1000,1200', `--screenshot=${screenshot}`, pathToFileURL(report).href], join(dir.path, 'profile-shot'));
    expect(shot.status, shot.stderr).toBe(0);
    expect(statSync(screenshot).size).toBeGreaterThan(10_000);
  }, TIMEOUT_MS);
});
