import { fileURLToPath } from 'node:url';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vite';

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

// The agent console, served by the app at / under a strict CSP: no inline scripts or styles,
// so CSS is emitted as files and nothing is inlined as a data: URL.
export default defineConfig({
  root: here('./console'),
  base: '/',
  publicDir: false,
  plugins: [
    svelte({
      configFile: false,
      // 'tree' builds DOM without innerHTML, so the console also works under Trusted Types.
      compilerOptions: { fragments: 'tree' },
    }),
  ],
  build: {
    outDir: here('./dist/console'),
    emptyOutDir: true,
    assetsDir: 'assets',
    assetsInlineLimit: 0,
    target: 'es2022',
  },
  server: {
    // `npx vite --config ui/vite.console.config.ts` against a locally running app.
    proxy: {
      '/api': { target: 'https://localhost:8443', secure: false },
      '/socket.io': { target: 'https://localhost:8443', secure: false, ws: true },
    },
  },
});
