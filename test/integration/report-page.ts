/**
 * The study report opened in headless Chromium (Debian's binary driven by playwright-core) with
 * the network blocked, and what ECharts drew on it: shared by the report and pruning tests.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Chromium, installed from Debian when it is missing (no skip path: the tests need a browser). */
export async function launchBrowser(): Promise<Browser> {
  const root = join(import.meta.dirname, '..', '..');
  const executablePath = execFileSync('bash', [join(root, 'scripts', 'ensure-chromium.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
  return chromium.launch({ executablePath });
}

/** The little of the browser the page checks use (the project compiles without the DOM lib). */
interface DomElement {
  readonly textContent: string | null;
  getAttribute(name: string): string | null;
  querySelector(selector: string): DomElement | null;
  querySelectorAll(selector: string): ArrayLike<DomElement>;
  getBoundingClientRect(): { readonly width: number; readonly height: number };
}
interface EChartsOption {
  readonly series: readonly { readonly name: string; readonly type: string; readonly data?: readonly unknown[] }[];
  readonly xAxis?: readonly { readonly data?: readonly unknown[] }[];
  readonly yAxis?: readonly { readonly data?: readonly unknown[] }[];
  readonly parallelAxis?: readonly unknown[];
}
interface CanvasContext {
  drawImage(image: unknown, x: number, y: number): void;
  getImageData(x: number, y: number, width: number, height: number): { readonly data: ArrayLike<number> };
}
export interface Dom {
  readonly document: {
    querySelector(selector: string): DomElement | null;
    querySelectorAll(selector: string): ArrayLike<DomElement>;
    getElementById(id: string): DomElement | null;
    createElement(tag: 'canvas'): { width: number; height: number; getContext(kind: '2d'): CanvasContext };
  };
  readonly echarts: {
    getInstanceByDom(element: DomElement): { getOption(): EChartsOption; dispatchAction(action: object): void };
  };
  readonly Image: new () => { src: string; width: number; height: number; decode(): Promise<void> };
  readonly __pwned?: number;
}

export interface PageProblems {
  readonly requests: string[];
  readonly errors: string[];
}

/** A page that may load the report file and nothing else; every other request is aborted and recorded. */
export async function openReport(browser: Browser, path: string): Promise<{ page: Page; problems: PageProblems }> {
  const url = pathToFileURL(path).href;
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, offline: true });
  const problems: PageProblems = { requests: [], errors: [] };
  await context.route(
    (target) => target.href !== url,
    (route) => route.abort(),
  );
  const page = await context.newPage();
  page.on('request', (request) => {
    if (request.url() !== url) problems.requests.push(request.url());
  });
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.errors.push(message.text());
  });
  page.on('pageerror', (error) => problems.errors.push(error.message));
  await page.goto(url);
  await page.waitForSelector('body[data-report-ready="true"]', { timeout: 30_000 });
  return { page, problems };
}

export interface RenderedChart {
  readonly id: string;
  readonly rendered: string | null;
  readonly width: number;
  readonly height: number;
  /** SVG shapes ECharts drew. */
  readonly shapes: number;
  readonly series: { name: string; type: string; items: number }[];
  readonly categories: number;
  readonly parallelAxes: number;
}

export function chartsOnPage(page: Page): Promise<RenderedChart[]> {
  return page.evaluate(() => {
    const { document, echarts } = globalThis as unknown as Dom;
    const present = (item: unknown) => {
      const value = item !== null && typeof item === 'object' && 'value' in item ? item.value : item;
      return value !== '-' && value !== null && value !== undefined;
    };
    return Array.from(document.querySelectorAll('[data-chart]')).map((element) => {
      const option = echarts.getInstanceByDom(element).getOption();
      const svg = element.querySelector('svg');
      const box = svg?.getBoundingClientRect();
      const category = [...(option.xAxis ?? []), ...(option.yAxis ?? [])].find((axis) => axis.data !== undefined);
      return {
        id: element.getAttribute('data-chart')!,
        rendered: element.getAttribute('data-rendered'),
        width: box?.width ?? 0,
        height: box?.height ?? 0,
        shapes: svg?.querySelectorAll('path, rect, circle, polyline').length ?? 0,
        series: option.series.map((series) => ({
          name: series.name,
          type: series.type,
          items: (series.data ?? []).filter(present).length,
        })),
        categories: category?.data?.length ?? 0,
        parallelAxes: option.parallelAxis?.length ?? 0,
      };
    });
  });
}
