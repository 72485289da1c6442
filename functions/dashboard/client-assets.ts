/** The browser bundle: the page's script and stylesheet, and the map's country outlines. */
export interface ClientAssets {
  js: string
  css: string
  /** Natural Earth countries as TopoJSON (world-atlas countries-50m.json). */
  world: string
}

/**
 * The client bundle for a run from sources: built in memory with esbuild (a devDependency).
 * scripts/build.ts replaces this module in dist/dashboard.mjs with one that returns the bundle
 * built at build time, so the deployed function needs neither esbuild nor the client sources.
 */
export async function loadClientAssets(): Promise<ClientAssets> {
  const { buildClientAssets } = await import('./client-build.ts')
  return buildClientAssets()
}
