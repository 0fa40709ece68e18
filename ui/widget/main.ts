import { mount } from 'svelte';
import Widget from './Widget.svelte';
import { findParleyOrigin } from './origin.ts';
import { VisitorSession } from './visitorSession.svelte.ts';
import conversationCss from './conversation.css?inline';
import widgetCss from './widget.css?inline';
import filesCss from '../shared/files.css?inline';

const HOST_TAG = 'parley-widget';
const CSS_SOURCES = [widgetCss, conversationCss, filesCss];
// Only set while this script first runs, so it is read before anything asynchronous.
const script = document.currentScript;

/** Constructable stylesheets are not subject to the page's CSP style-src, unlike <style>. */
function applyStyles(root: ShadowRoot): void {
  if ('replaceSync' in CSSStyleSheet.prototype && 'adoptedStyleSheets' in root) {
    root.adoptedStyleSheets = CSS_SOURCES.map((css) => {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(css);
      return sheet;
    });
  } else {
    const style = document.createElement('style');
    style.textContent = CSS_SOURCES.join('\n');
    root.append(style);
  }
}

function start(): void {
  if (document.querySelector(HOST_TAG)) return; // The embed tag was included twice.
  const origin = findParleyOrigin(script);
  if (!origin) {
    console.error('Parley widget: cannot tell which server widget.js was loaded from.');
    return;
  }
  const host = document.createElement(HOST_TAG);
  document.body.append(host);
  // A shadow root keeps the page's CSS out of the widget and the widget's CSS out of the page.
  const root = host.attachShadow({ mode: 'open' });
  applyStyles(root);
  const session = new VisitorSession(origin);
  mount(Widget, { target: root, props: { session } });
  void session.resume();
}

if (document.body) start();
else document.addEventListener('DOMContentLoaded', start, { once: true });
