import { describe, expect, it } from 'vitest'

import { loadConfig } from './config.ts'
import { escapeHtml } from './page.ts'
import { tileOrigin } from './security.ts'

describe('dashboard security helpers', () => {
  it('derives the image origin for the CSP from a tile URL template', () => {
    expect(tileOrigin('https://tile.example.org/{z}/{x}/{y}.png')).toBe('https://tile.example.org')
    expect(tileOrigin('https://{s}.tile.example.org:8443/{z}/{x}/{y}.png')).toBe(
      'https://*.tile.example.org:8443'
    )
    expect(tileOrigin("https://evil.org; script-src 'unsafe-inline'/{z}/{x}/{y}")).toBeNull()
    expect(tileOrigin('javascript:alert(1)//{z}/{x}/{y}')).toBeNull()
    expect(tileOrigin(null)).toBeNull()
  })

  it('refuses a tile URL that would not fit the CSP or lacks placeholders', () => {
    expect(() =>
      loadConfig({ DATABASE_URL: 'postgres://x/y', DASHBOARD_TILE_URL: 'https://a.org/tiles' })
    ).toThrow(/DASHBOARD_TILE_URL/)
    expect(() =>
      loadConfig({ DATABASE_URL: 'postgres://x/y', DASHBOARD_TILE_URL: 'ftp://a.org/{z}/{x}/{y}' })
    ).toThrow(/DASHBOARD_TILE_URL/)
    expect(
      loadConfig({
        DATABASE_URL: 'postgres://x/y',
        DASHBOARD_TILE_URL: 'https://a.org/{z}/{x}/{y}.png',
      }).tileUrl
    ).toBe('https://a.org/{z}/{x}/{y}.png')
  })

  it('escapes text for HTML content and attributes', () => {
    expect(escapeHtml(`<img src=x onerror="alert('1')">&`)).toBe(
      '&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;'
    )
  })
})
