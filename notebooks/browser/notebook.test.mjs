// Browser test 1: the classic notebook `make run` starts. Opens
// 02-playback-rate.ipynb in Debian's Jupyter Notebook 6 on the peerscope
// kernel, clears the committed outputs, runs Cell > Run All from the menu,
// waits for every code cell to execute and checks that no cell shows an error
// and that the PLEA figures (Fig. 3 and the Δ-slider cell's figure) render as
// images with a non-zero natural size.
import { settings, withBrowser, check, stepper } from './browser.mjs';
import { join } from 'node:path';

const NOTEBOOK = 'notebooks/02-playback-rate.ipynb';
const s = settings();
const step = stepper('notebook');

await withBrowser('notebook', async (page) => {
  try {
    await run(page);
  } finally {
    await page.screenshot({ path: join(s.artifacts, 'notebook-02-playback-rate.png'), fullPage: true }).catch(() => {});
  }
});
console.log('notebook test: PASS');

async function run(page) {
  step(`open ${NOTEBOOK}`);
  await page.goto(`${s.base}/notebooks/${NOTEBOOK}?token=${s.token}`);
  await page.waitForFunction(() => window.Jupyter && Jupyter.notebook && Jupyter.notebook._fully_loaded
    && Jupyter.notebook.kernel && Jupyter.notebook.kernel.is_connected(), null, { timeout: 60_000 });
  const kernel = await page.evaluate(() => Jupyter.notebook.kernel.name);
  check(kernel === 'peerscope', `the notebook started kernel ${kernel}, want peerscope`);
  const nCode = await page.evaluate(() => {
    // Start from empty outputs so that what is checked below was produced now.
    Jupyter.notebook.clear_all_output();
    return Jupyter.notebook.get_cells().filter((c) => c.cell_type === 'code').length;
  });
  check(nCode > 0, 'the notebook has no code cell');
  check(await page.locator('#notebook .output_subarea img').count() === 0, 'outputs still shown after clearing');

  step(`Cell > Run All (${nCode} code cells)`);
  await page.click('#celllink');
  await page.click('#run_all_cells');
  // Every code cell has an execution count and the kernel is idle. The kernel
  // is fresh, so the counts are 1..n.
  await page.waitForFunction((n) => {
    const cells = Jupyter.notebook.get_cells().filter((c) => c.cell_type === 'code');
    const done = cells.every((c) => typeof c.input_prompt_number === 'number');
    const idle = document.querySelector('#kernel_indicator_icon.kernel_idle_icon') !== null;
    const errored = cells.some((c) => c.output_area.outputs.some((o) => o.output_type === 'error'));
    return (done && idle) || errored;
  }, nCode, { timeout: 90_000, polling: 250 });
  step('all cells executed');

  const report = await page.evaluate(() => Jupyter.notebook.get_cells()
    .filter((c) => c.cell_type === 'code')
    .map((c) => ({
      count: c.input_prompt_number,
      source: c.get_text(),
      outputs: c.output_area.outputs.map((o) => ({
        type: o.output_type,
        mimes: Object.keys(o.data || {}),
        text: o.output_type === 'error' ? `${o.ename}: ${o.evalue}` : (o.text || '').slice(0, 200),
      })),
    })));
  const errors = report.flatMap((c) => c.outputs.filter((o) => o.type === 'error').map((o) => `cell [${c.count}]: ${o.text}`));
  check(errors.length === 0, `error output:\n${errors.join('\n')}`);
  const counts = report.map((c) => c.count).sort((a, b) => a - b);
  check(counts.every((v, i) => v === i + 1), `execution counts ${counts}, want 1..${nCode} (every cell run once, in a fresh kernel)`);
  const domErrors = await page.locator('#notebook .output_error').count();
  check(domErrors === 0, `${domErrors} error outputs shown`);

  // The PLEA figures: Fig. 3 and the figure of the Δ-slider cell.
  const images = await page.evaluate(() => Jupyter.notebook.get_cells()
    .filter((c) => c.cell_type === 'code')
    .map((c, i) => ({
      index: i,
      source: c.get_text(),
      imgs: [...c.element[0].querySelectorAll('.output_subarea img')].map((img) => ({
        src: img.src.slice(0, 22), w: img.naturalWidth, h: img.naturalHeight, complete: img.complete,
      })),
      widgetText: [...c.element[0].querySelectorAll('.output_subarea')].map((e) => e.innerText).join(' | ').slice(0, 300),
    })));
  const plea = images.filter((c) => /RateFig3/.test(c.source));
  check(plea.length >= 1, 'no cell draws figures.RateFig3 (the PLEA figure)');
  for (const c of plea) {
    const firstLine = c.source.split('\n').find((l) => /RateFig3/.test(l)).trim();
    check(c.imgs.length >= 1, `PLEA cell ${c.index} (${firstLine}) shows no image; its outputs: ${c.widgetText}`);
    for (const img of c.imgs) {
      check(/^data:image\/(png|svg)/.test(img.src), `PLEA cell ${c.index}: image src ${img.src}…`);
      check(img.complete && img.w > 0 && img.h > 0, `PLEA cell ${c.index}: image natural size ${img.w}×${img.h}`);
    }
    step(`PLEA cell ${c.index} (${firstLine}): ${c.imgs.map((i) => `${i.src.slice(5, 14)} ${i.w}×${i.h}`).join(', ')}`);
    // The notebook scrolls inside its own element, so a page screenshot shows
    // one screen: keep each PLEA cell as a picture of its own.
    await page.locator('#notebook .code_cell').nth(c.index)
      .screenshot({ path: join(s.artifacts, `notebook-plea-cell-${c.index}.png`) });
  }
  const allImgs = images.reduce((n, c) => n + c.imgs.length, 0);
  step(`${allImgs} images in ${images.filter((c) => c.imgs.length).length} cells, no error output`);
  const slider = images.find((c) => /widgets\.Interact/.test(c.source));
  if (slider) step(`Δ-slider cell as the classic notebook (ipywidgets 6 front end) shows it: ${JSON.stringify(slider.widgetText.slice(0, 160))}`);
  if (page.problems.length) step(`browser console: ${page.problems.slice(0, 5).join(' / ')}`);
}
