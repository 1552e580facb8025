/**
 * The client's callback URLs, as both sides build them: the server (the Open Finance return,
 * ./consent.ts) and the widget page (./ui/main.ts). Pure, no Node or DOM API: the widget's
 * browser build bundles it, and ./build.ts hashes it with ui/ so a change rebuilds the page.
 */
/** Adds query parameters to a callback URL (which may already have some, or be a deep link). */
export function withQuery(url: string, params: Record<string, string | undefined>): string {
  const query = Object.entries(params)
    .filter((e): e is [string, string] => typeof e[1] === 'string' && e[1] !== '')
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');
  if (!query) return url;
  const [base, hash] = url.split('#', 2);
  return `${base}${base.includes('?') ? '&' : '?'}${query}${hash !== undefined ? `#${hash}` : ''}`;
}
