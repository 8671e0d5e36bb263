/**
 * The Temporal Web UI as a user sees a study: the list filtered to studies by search attribute,
 * a running study's summary and progress card, a trial's timeline with its stage activities named.
 * Opened in headless Chromium (Debian's, driven by playwright-core); screenshots are kept in
 * .memotune/test-artifacts/.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getStudyProgress, startStudy } from '../../src/client/index.js';
import { createTestEnv, testStack, type TestEnv } from './harness.js';
import { pacedStages } from './fixtures/paced-stages.js';
import { paper3Stages, paper3Study } from './fixtures/pipelines.js';

const root = join(import.meta.dirname, '..', '..');
const artifacts = join(root, '.memotune', 'test-artifacts');

let env: TestEnv;
let browser: Browser;
let ui: string;

beforeAll(async () => {
  const uiUrl = testStack().servers.uiUrl;
  // No skip path: servers run by hand must say where their UI is.
  if (uiUrl === undefined)
    throw new Error('set MEMOTUNE_TEST_UI_URL to the Temporal Web UI of MEMOTUNE_TEST_TEMPORAL_ADDRESS');
  ui = uiUrl;
  const executablePath = execFileSync('bash', [join(root, 'scripts', 'ensure-chromium.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
  browser = await chromium.launch({ executablePath });
  env = await createTestEnv('ui');
  await env.startWorkers(pacedStages(paper3Stages, { delayMs: 700 }));
  mkdirSync(artifacts, { recursive: true });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await env?.close();
});

/** Waits until `text` shows on the page or in one of its frames (the UI renders Markdown in iframes). */
async function see(page: Page, text: string | RegExp): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    for (const frame of page.frames()) {
      if (
        (await frame
          .getByText(text)
          .count()
          .catch(() => 0)) > 0
      )
        return;
    }
    if (Date.now() > deadline) throw new Error(`the UI never showed ${String(text)} (${page.url()})`);
    await page.waitForTimeout(500);
  }
}

async function screenshot(page: Page, name: string): Promise<void> {
  const path = join(artifacts, name);
  await page.screenshot({ path, fullPage: true });
  expect(statSync(path).size).toBeGreaterThan(20_000);
}

describe('a study in the Temporal UI (headless Chromium)', () => {
  it('is found by its search attributes, shows its summary and progress card, and names its stage runs', async () => {
    const name = `${env.taskQueuePrefix}-ui`;
    const { handle } = await startStudy(
      env.client,
      paper3Study({ name, budget: 1e5, maxTrials: 6, parallelism: 2, optimizer: { method: 'random', warmup: 2 } }),
      { studyId: name, taskQueuePrefix: env.taskQueuePrefix },
    );
    for (;;) {
      const progress = await getStudyProgress(env.client, name);
      if (progress.trials >= 1 && (progress.runningTrials?.length ?? 0) > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });

    // Studies only: the trials of the study are not in the list.
    const query = `MemotuneKind='study' AND MemotuneStudy='${name}'`;
    await page.goto(`${ui}/namespaces/default/workflows?query=${encodeURIComponent(query)}`);
    await see(page, name);
    expect(await page.getByText(`${name}/trial-0`).count()).toBe(0);
    await screenshot(page, 'ui-studies.png');

    // The running study: its static summary and its progress card (current details).
    await page.goto(`${ui}/namespaces/default/workflows/${encodeURIComponent(name)}`);
    await see(page, 'User Metadata');
    await page.getByText('User Metadata').first().click();
    await see(page, `memotune study ${name}: random, budget 100000, 3 stages`);
    await see(page, /parallelism/);
    // The progress card, from the running study's current details.
    await see(page, /reused a cached prefix/);
    await see(page, /Budget/);
    await screenshot(page, 'ui-study-card.png');
    await page.getByText('Search Attributes').first().click();
    for (const attribute of ['MemotuneKind', 'MemotuneStudy', 'MemotuneStatus', 'MemotuneTrials', 'MemotuneSpent'])
      await see(page, attribute);

    // A trial: its one-line configuration and its stage runs named by stage in the timeline.
    await handle.result();
    await page.goto(`${ui}/namespaces/default/workflows/${encodeURIComponent(`${name}/trial-0`)}`);
    await see(page, /s0 \(stage 1\/3\)/);
    await see(page, /s2 \(stage 3\/3\)/);
    await screenshot(page, 'ui-trial-timeline.png');
    await page.goto(`${ui}/namespaces/default/workflows/${encodeURIComponent(name)}`);
    await see(page, /trial 0 — s0: x0=/);
    await page.close();
  }, 180_000);
});
