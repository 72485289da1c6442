// Builds the browser bundle (functions/dashboard/client/main.ts with Leaflet, the Natural Earth
// outlines and the styles) in memory. Used by scripts/build.ts to embed it into
// dist/dashboard.mjs, and at start-up when the function runs from its sources.
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { join } from 'node:path'

import { build } from 'esbuild'

import type { ClientAssets } from './client-assets.ts'

const CLIENT_ENTRY = join(import.meta.dirname, 'client', 'main.ts')
// 1:50m: detailed enough for a region's airports, 750 KB (about 200 KB gzipped).
const WORLD_OUTLINES = 'world-atlas/countries-50m.json'

export async function buildClientAssets(): Promise<ClientAssets> {
  const result = await build({
    entryPoints: [CLIENT_ENTRY],
    bundle: true,
    write: false,
    outdir: 'assets',
    entryNames: 'app',
    platform: 'browser',
    format: 'esm',
    target: ['chrome110', 'firefox110', 'safari16'],
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
    // Leaflet's stylesheet refers to a few small images; inlined, they need no extra route.
    loader: { '.png': 'dataurl', '.svg': 'dataurl' },
  })
  const js = result.outputFiles.find((file) => file.path.endsWith('.js'))
  const css = result.outputFiles.find((file) => file.path.endsWith('.css'))
  if (!js || !css) {
    throw new Error('the client build produced no app.js or app.css')
  }
  const world = await readFile(createRequire(import.meta.url).resolve(WORLD_OUTLINES), 'utf8')
  return { js: js.text, css: css.text, world }
}
