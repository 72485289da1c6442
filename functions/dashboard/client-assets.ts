/** The browser bundle: the page's script and stylesheet. */
export interface ClientAssets {
  js: string
  css: string
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
