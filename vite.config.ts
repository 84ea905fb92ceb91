import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Builds the renderer; the Electron shell and the web bridge both serve dist/renderer.
export default defineConfig({
  root: 'renderer',
  base: './',
  plugins: [react()],
  build: { outDir: '../dist/renderer', emptyOutDir: true },
});
