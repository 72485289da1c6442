// The only way the client builds DOM from data: text goes through textContent, never innerHTML,
// because callsigns, countries and squawks are untrusted input.

type Child = Node | string | null | undefined | false

/** `el('li', { class: 'row' }, 'text', child)`; attribute values are set, never parsed as HTML. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) {
    element.setAttribute(name, value)
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) {
      continue
    }
    element.append(typeof child === 'string' ? document.createTextNode(child) : child)
  }
  return element
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id)
  if (!element) {
    throw new Error(`the page has no #${id}`)
  }
  return element as T
}

/** Replaces a definition list's content with term/value pairs. */
export function fillDefinitions(list: HTMLElement, rows: [string, string | Node][]): void {
  list.replaceChildren(
    ...rows.flatMap(([term, value]) => [el('dt', {}, term), el('dd', {}, value)])
  )
}
