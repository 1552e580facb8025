/**
 * A tiny DOM builder, and a form field's error message. Text always goes in as text nodes, never
 * as HTML, so nothing the server, the institution or the client configured can inject markup into
 * the page.
 */

type Child = Node | string | null | undefined | false;
type AttrValue = string | number | boolean | null | undefined | ((event: any) => void);

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, AttrValue> = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === 'function') el.addEventListener(name.slice(2).toLowerCase(), value);
    else if (name === 'class') el.className = String(value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return el;
}

let ids = 0;
/** A unique element id (labels, aria-describedby). */
export const uid = (prefix: string) => `${prefix}-${++ids}`;

/** Shows `message` under a form field and marks the field invalid. */
export function setError(input: HTMLElement, error: HTMLElement, message: string): void {
  error.textContent = message;
  error.hidden = false;
  input.setAttribute('aria-invalid', 'true');
}

export function clearError(input: HTMLElement, error: HTMLElement): void {
  error.textContent = '';
  error.hidden = true;
  input.removeAttribute('aria-invalid');
}
