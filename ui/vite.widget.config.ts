import { fileURLToPath } from 'node:url';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig, type Plugin } from 'vite';

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

/** The widget must stay one file: styles live in widget.css (adopted), never in <style> blocks. */
function singleFile(): Plugin {
  return {
    name: 'parley-widget-single-file',
    generateBundle(_options, bundle) {
      const extra = Object.keys(bundle).filter((name) => name !== 'widget.js');
      if (extra.length > 0) {
        this.error(
          `the widget must build to widget.js only, but also emitted: ${extra.join(', ')}`,
        );
      }
    },
  };
}

// The visitor widget: one self-contained, minified IIFE that customers embed with a script tag.
export default defineConfig({
  publicDir: false,
  plugins: [
    svelte({
      configFile: false,
      // No innerHTML, so the widget also runs on customer pages that enforce Trusted Types.
      compilerOptions: { fragments: 'tree' },
    }),
    singleFile(),
  ],
  define: { 'process.env.NODE_ENV': JSON.stringify('production') },
  build: {
    outDir: here('./dist/widget'),
    emptyOutDir: true,
    target: 'es2020',
    minify: true,
    assetsInlineLimit: Number.MAX_SAFE_INTEGER,
    lib: {
      entry: here('./widget/main.ts'),
      formats: ['iife'],
      name: 'ParleyWidget',
      fileName: () => 'widget.js',
    },
    // Customer pages may use any charset; pure ASCII output reads the same under all of them.
    rolldownOptions: { output: { charset: 'ascii' } },
  },
});
