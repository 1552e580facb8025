/**
 * belvo-widget-1-stable.js, Vinculo's copy: the same contract as Belvo's script, so a page that
 * embeds Belvo's widget works by changing the script URL.
 *
 *   <div id="belvo"></div>
 *   <script src="https://vinculo.example/widget/belvo-widget-1-stable.js"></script>
 *   belvoSDK.createWidget(accessToken, { callback(link, institution) {}, onExit(data) {}, onEvent(data) {} }).build();
 *
 * It mounts an iframe of the widget page from the script's own origin and talks to it with
 * postMessage, checking origins both ways: the client's page never sees the end user's
 * credentials (they go from the iframe to Vinculo), and no CORS opening is needed.
 */

interface BelvoWidgetConfig {
  callback?: (link: string, institution: string) => void;
  onExit?: (data: unknown) => void;
  onEvent?: (data: unknown) => void;
  [option: string]: unknown;
}

interface Message {
  source?: string;
  type?: string;
  link?: string;
  institution?: string;
  data?: unknown;
}

const SOURCE = 'vinculo-widget';
/** The options the page understands; functions never cross to the iframe. */
const OPTION_KEYS = [
  'access_mode',
  'external_id',
  'country_codes',
  'institutions',
  'institution_types',
  'locale',
  'show_close_dialog',
  'show_abandon_survey',
];

(() => {
  const script = document.currentScript as HTMLScriptElement | null;
  // Where this script came from is where the widget lives.
  const widgetOrigin = new URL(script?.src || location.href).origin;

  function plainOptions(config: BelvoWidgetConfig): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const key of OPTION_KEYS) {
      const value = config[key];
      if (typeof value === 'string' || typeof value === 'boolean') out[key] = value;
      else if (Array.isArray(value)) out[key] = value.filter((v) => typeof v === 'string');
    }
    return out;
  }

  function createWidget(accessToken: string, config: BelvoWidgetConfig = {}) {
    let frame: HTMLIFrameElement | null = null;
    let listener: ((e: MessageEvent) => void) | null = null;
    // Never let a client callback's exception break the widget.
    const call = (fn: ((...args: any[]) => void) | undefined, ...args: unknown[]) => {
      try {
        fn?.(...args);
      } catch (err) {
        setTimeout(() => {
          throw err;
        });
      }
    };

    const widget = {
      build() {
        if (frame) return widget;
        let host = document.getElementById('belvo');
        if (!host) {
          host = document.createElement('div');
          host.id = 'belvo';
          document.body.appendChild(host);
        }
        const url = new URL('/widget/', widgetOrigin);
        url.searchParams.set('embedded', '1');
        url.searchParams.set('origin', location.origin);
        if (typeof config.locale === 'string') url.searchParams.set('locale', config.locale);
        const iframe = document.createElement('iframe');
        iframe.src = url.toString();
        iframe.title = 'Connect your account';
        iframe.setAttribute('allowtransparency', 'true');
        iframe.setAttribute('data-vinculo-widget', '');
        Object.assign(iframe.style, {
          position: 'fixed',
          inset: '0',
          width: '100%',
          height: '100%',
          border: '0',
          zIndex: '2147483000',
          background: 'transparent',
          colorScheme: 'normal',
        });
        listener = (e: MessageEvent) => {
          const msg = e.data as Message | null;
          if (e.origin !== widgetOrigin || !frame || e.source !== frame.contentWindow || msg?.source !== SOURCE) return;
          switch (msg.type) {
            case 'ready':
              frame.contentWindow!.postMessage({ source: SOURCE, type: 'init', accessToken, config: plainOptions(config) }, widgetOrigin);
              frame.focus();
              break;
            case 'success':
              call(config.callback, msg.link, msg.institution);
              break;
            case 'event':
              call(config.onEvent, msg.data);
              break;
            case 'exit':
              widget.destroy();
              call(config.onExit, msg.data);
              break;
            case 'close':
              widget.destroy();
              break;
          }
        };
        window.addEventListener('message', listener);
        frame = iframe;
        host.appendChild(iframe);
        return widget;
      },
      /** Removes the widget (Vinculo extension; Belvo's script closes itself the same way). */
      destroy() {
        if (listener) window.removeEventListener('message', listener);
        frame?.remove();
        frame = null;
        listener = null;
      },
    };
    return widget;
  }

  (window as unknown as { belvoSDK: unknown }).belvoSDK = { createWidget };
})();
