// Builds the web app into dist/: content-hashed bundles under dist/assets/ (served with
// immutable cache headers) and dist/index.html (served with no-cache) that names them.
import * as esbuild from 'esbuild';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(root, 'dist');
const watch = process.argv.includes('--watch');

const options = {
  absWorkingDir: root,
  entryPoints: { app: 'src/main.js' },
  bundle: true,
  splitting: true,
  format: 'esm',
  target: ['chrome110', 'firefox115', 'safari16'],
  outdir: 'dist/assets',
  publicPath: '/assets/',
  entryNames: '[name]-[hash]',
  chunkNames: 'c-[hash]',
  assetNames: '[name]-[hash]',
  minify: !watch,
  sourcemap: 'linked',
  legalComments: 'linked',
  metafile: true,
  logLevel: 'warning',
  define: { 'process.env.NODE_ENV': '"production"' },
  plugins: [{
    name: 'index-html',
    setup(build) {
      build.onEnd(async (result) => {
        if (result.errors.length) return;
        await writeIndex(result.metafile);
      });
    },
  }],
};

async function writeIndex(metafile) {
  let js = null;
  let css = null;
  const preload = [];
  const url = (file) => '/' + path.relative('dist', file).split(path.sep).join('/');
  for (const [file, out] of Object.entries(metafile.outputs)) {
    if (out.entryPoint === 'src/main.js') {
      js = url(file);
      if (out.cssBundle) css = url(out.cssBundle);
      // Chunks the entry imports statically: fetched at once rather than after the entry.
      for (const imp of out.imports) if (imp.kind === 'import-statement' && !imp.external) preload.push(url(imp.path));
    }
  }
  if (!js) throw new Error('no entry bundle in the build output');
  // The page holds no inline script or style: the policy the server sends forbids them.
  const html = `<!doctype html>
<html lang="ko">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>crowdloop</title>
<link rel="icon" href="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Ccircle cx='8' cy='8' r='7' fill='%232563eb'/%3E%3C/svg%3E">
${css ? `<link rel="stylesheet" href="${css}">\n` : ''}${preload.map((p) => `<link rel="modulepreload" href="${p}">\n`).join('')}<script type="module" src="${js}"></script>
</head>
<body>
<div id="app" aria-live="polite"></div>
<noscript>crowdloop needs JavaScript.</noscript>
</body>
</html>
`;
  await writeFile(path.join(dist, 'index.html'), html);
}

await rm(dist, { recursive: true, force: true });
await mkdir(path.join(dist, 'assets'), { recursive: true });
if (watch) {
  const ctx = await esbuild.context(options);
  await ctx.watch();
  console.log('watching src/ ...');
} else {
  const result = await esbuild.build(options);
  const sizes = Object.entries(result.metafile.outputs)
    .filter(([f]) => !f.endsWith('.map') && !f.endsWith('.txt'))
    .map(([f, o]) => `${path.relative('dist', f)} ${(o.bytes / 1024).toFixed(1)} KiB`);
  console.log('web/dist:\n  ' + sizes.join('\n  '));
}
