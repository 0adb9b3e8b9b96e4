// Bundles src/page.js (with @jupyterlab/services and the ipywidgets 8 HTML
// manager) into dist/ for the widgets browser test.
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';

const dist = new URL('./dist/', import.meta.url).pathname;
mkdirSync(dist, { recursive: true });
await esbuild.build({
  entryPoints: { 'peerscope-widgets-test': 'src/page.js' },
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: 'chrome120',
  outdir: dist,
  logLevel: 'warning',
  // html-manager's embedding code assigns webpack's public path at load time.
  banner: { js: 'var __webpack_public_path__ = "";' },
  define: { 'process.env.NODE_ENV': '"production"', global: 'globalThis' },
  // Fonts and images referenced from the widgets' CSS are inlined.
  loader: { '.woff': 'dataurl', '.woff2': 'dataurl', '.ttf': 'dataurl', '.eot': 'dataurl', '.svg': 'dataurl', '.png': 'dataurl', '.gif': 'dataurl' },
});
copyFileSync('src/page.html', dist + 'peerscope-widgets-test.html');
