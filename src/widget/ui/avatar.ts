/**
 * An institution's avatar: its logo, or its initials on its colour. The institution list and
 * every screen of a connection (login, MFA, Open Finance consent) show it.
 */
import type { Institution } from './api.js';
import { h } from './dom.js';

export function avatar(inst: Institution): HTMLElement {
  const src = inst.icon_logo ?? inst.logo;
  if (src) return h('img', { class: 'avatar', src, alt: '' });
  const initials = inst.display_name
    .split(/\s+/)
    .map((w) => w[0])
    .join('')
    .slice(0, 2)
    .toUpperCase();
  const el = h('span', { class: 'avatar', 'aria-hidden': 'true' }, initials);
  el.style.backgroundColor = inst.primary_color;
  return el;
}
