// Drives headless Chromium (playwright-core) to Arize Phoenix's trace view
// and saves the picture. Run by docs/screenshot.sh, which starts Phoenix and
// the demo first:
//
//   node screenshot.mjs PHOENIX_URL TRACE_ID OUT.png
//
// CHROMIUM (default /usr/bin/chromium) names the browser binary.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const [phoenix, traceId, out] = process.argv.slice(2);
if (!phoenix || !traceId || !out) {
  console.error('usage: node screenshot.mjs PHOENIX_URL TRACE_ID OUT.png');
  process.exit(2);
}

// The project's GraphQL id ("UHJvamVjdDox" for the first one) from the REST API.
const projects = await (await fetch(`${phoenix}/v1/projects`)).json();
const project = projects.data.find((p) => p.name === 'default');
if (!project) throw new Error(`no project "default" in ${JSON.stringify(projects)}`);

const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-trace-chromium-'));
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1400, height: 900 },
  colorScheme: 'dark',
  // No background networking (updates, sync, …): on a closed network
  // Chromium's connections are refused otherwise.
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
});
try {
  const page = browser.pages()[0] ?? (await browser.newPage());
  page.setDefaultTimeout(30_000);
  await page.goto(`${phoenix}/projects/${project.id}/traces/${traceId}`, { waitUntil: 'networkidle' });

  // The trace drawer is open once its span tree shows the last span.
  const drawer = page.getByRole('complementary', { name: 'Detail drawer' });
  await drawer.getByText('prompts/get weather_report', { exact: true }).nth(1).waitFor();

  // Room for the tree: the side navigation folded, the drawer dragged to
  // its widest, one line per span (no per-span latency line: the demo's
  // spans take microseconds, which Phoenix shows as "0ms").
  await page.getByRole('button', { name: 'Collapse side navigation' }).click();
  await page.getByRole('button', { name: 'Hide metrics in trace tree' }).click();
  const handle = await page.getByRole('separator', { name: 'Resize drawer' }).boundingBox();
  await page.mouse.move(handle.x + handle.width / 2, handle.y + 300);
  await page.mouse.down();
  await page.mouse.move(0, handle.y + 300, { steps: 10 });
  await page.mouse.up();

  // Select the server's span of the get_weather tool: its attributes
  // (the tool's input and output, the MCP attributes) fill the right side,
  // sorted by key (Phoenix's own order changes from run to run), with the
  // empty "Tool" card folded.
  await drawer.getByText('tools/call get_weather', { exact: true }).nth(1).click();
  await drawer.getByText('langfuse.observation.input', { exact: true }).waitFor();
  await drawer.getByRole('button', { name: 'Tool: get_weather' }).first().click();
  await drawer.getByRole('columnheader', { name: 'Key' }).click();
  await page.mouse.move(0, 0); // no hover highlight in the picture
  await page.waitForTimeout(1000); // transitions

  const box = await drawer.boundingBox();
  await page.screenshot({
    path: out,
    clip: { x: box.x, y: box.y, width: Math.min(box.width, 1400 - box.x), height: Math.min(box.height, 900 - box.y) },
  });
  console.log(`screenshot.mjs: wrote ${out}`);
} finally {
  await browser.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
