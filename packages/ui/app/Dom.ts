/** A tiny element builder: enough DOM for a small UI without a framework. */

/** Something that can be a child: an element, text, or nothing. */
export type Child = Node | string | number | null | undefined | false

/** Attributes: `undefined` and `false` leave an attribute out, `true` sets it empty. */
export type Attrs = Readonly<Record<string, string | number | boolean | undefined>>

const append = (parent: Node, children: ReadonlyArray<Child>) => {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue
    parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)))
  }
}

const setAttrs = (element: Element, attrs: Attrs) => {
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue
    element.setAttribute(name, value === true ? "" : String(value))
  }
}

/** Creates an HTML element with attributes and children. */
export const h = <K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: ReadonlyArray<Child>
): HTMLElementTagNameMap[K] => {
  const element = document.createElement(tag)
  setAttrs(element, attrs)
  append(element, children)
  return element
}

/** Creates an SVG element with attributes and children. */
export const s = <K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: ReadonlyArray<Child>
): SVGElementTagNameMap[K] => {
  const element = document.createElementNS("http://www.w3.org/2000/svg", tag)
  setAttrs(element, attrs)
  append(element, children)
  return element
}

/** Replaces every child of `parent`. */
export const replaceChildren = (parent: Element, ...children: ReadonlyArray<Child>): void => {
  parent.replaceChildren()
  append(parent, children)
}
