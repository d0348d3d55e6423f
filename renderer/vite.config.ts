// Builds the renderer once for both shells: the Electron app (app:// protocol) and the local web UI
// (http on loopback). Relative asset paths (base './') let the same files work under either.
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  plugins: [svelte()],
  build: {
    outDir: fileURLToPath(new URL('../dist/renderer', import.meta.url)),
    emptyOutDir: true,
    // The CSP allows no inline script or style: keep every asset a separate file.
    assetsInlineLimit: 0,
    target: 'es2022',
  },
});
