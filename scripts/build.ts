// `npm run build`: bundles each function (functions/<name>/index.ts) into one self-contained ESM
// file, dist/<name>.mjs, started with `node dist/<name>.mjs`. Bundling is the main cold-start
// lever on Knative: one file to read instead of hundreds of modules. The migration runner for the
// cluster's Job is bundled the same way (dist/migrate.mjs).
import { existsSync, readdirSync } from 'node:fs'
import { join, resolve } from 'node:path'

import { build, type Plugin } from 'esbuild'

import { buildClientAssets } from '../functions/dashboard/client-build.ts'

const root = resolve(import.meta.dirname, '..')
const outdir = join(root, 'dist')

function functionNames(): string[] {
  return readdirSync(join(root, 'functions'), { withFileTypes: true })
    .filter(
      (entry) => entry.isDirectory() && existsSync(join(root, 'functions', entry.name, 'index.ts'))
    )
    .map((entry) => entry.name)
    .sort()
}

const entryPoints: Record<string, string> = Object.fromEntries(
  functionNames().map((name) => [name, join(root, 'functions', name, 'index.ts')])
)
entryPoints.migrate = join(root, 'scripts', 'db-migrate.ts')

// The dashboard's browser bundle (script, styles, world outlines) is built first and embedded in
// dist/dashboard.mjs in place of functions/dashboard/client-assets.ts, whose source version
// builds it at start-up with esbuild: the deployed function needs neither esbuild nor the sources.
const dashboardAssets = await buildClientAssets()
const embedDashboardClient: Plugin = {
  name: 'embed-dashboard-client',
  setup(pluginBuild) {
    pluginBuild.onLoad({ filter: /[\\/]functions[\\/]dashboard[\\/]client-assets\.ts$/ }, () => ({
      contents: `export async function loadClientAssets() { return ${JSON.stringify(dashboardAssets)} }`,
      loader: 'js',
    }))
  },
}

const result = await build({
  entryPoints,
  outdir,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'esm',
  sourcemap: 'linked',
  minify: true,
  metafile: true,
  logLevel: 'warning',
  // pg loads its optional native binding lazily; it is never used.
  external: ['pg-native'],
  loader: { '.svg': 'text', '.html': 'text', '.css': 'text' },
  plugins: [embedDashboardClient],
  // CommonJS dependencies (pg, kafkajs, pino) call require() for Node built-ins.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
})

for (const [file, output] of Object.entries(result.metafile.outputs)) {
  if (file.endsWith('.mjs')) {
    console.warn(`${file}  ${(output.bytes / 1024).toFixed(0)} KiB`)
  }
}
