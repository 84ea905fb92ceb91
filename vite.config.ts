import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Builds the renderer; the Electron shell and the web bridge both serve dist/renderer.
export default defineConfig({
  root: 'renderer',
  base: './',
  plugins: [react()],
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    // One bundle (~0.9 MB: React, xterm.js and its addons) read from disk or loopback, never a network: Vite's
    // 500 kB advice is for pages fetched over the internet. Warn only well past what the app is now.
    chunkSizeWarningLimit: 1500,
  },
});
