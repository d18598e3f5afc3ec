/**
 * The renderer build: React + Vite, served by Electron from a file:// URL and by the headless `--ui` bridge from
 * dist/renderer, so every asset path is relative (base './'). Targets the Chromium versions we ship/test with.
 */
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('./src-renderer', import.meta.url));
const outDir = fileURLToPath(new URL('./dist/renderer', import.meta.url));

export default defineConfig({
  root,
  base: './',
  plugins: [react()],
  build: {
    outDir,
    emptyOutDir: true,
    target: 'chrome120',
    sourcemap: false,
    // One small bundle: the whole UI is a few hundred kB before gzip; no code splitting needed.
    chunkSizeWarningLimit: 600,
  },
  server: { host: '127.0.0.1' },
});
