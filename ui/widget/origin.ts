const WIDGET_PATH = /\/widget\.js(?:[?#]|$)/;

/**
 * The Parley origin, read from this script's own URL: the widget runs on a customer page of
 * another origin. `script` must be `document.currentScript` captured while the script first runs.
 */
export function findParleyOrigin(script: Element | null): string | null {
  let src = script instanceof HTMLScriptElement ? script.src : '';
  if (!WIDGET_PATH.test(src)) {
    src = Array.from(document.scripts).find((s) => WIDGET_PATH.test(s.src))?.src ?? '';
  }
  return src ? new URL(src).origin : null;
}
