import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

// The dashboard: `vite build` writes web/dist, which the console server serves at `/`. Development: `pnpm
// --filter @tocsin/console web:dev` proxies /api to a console server on TOCSIN_CONSOLE_URL (default :9469).
export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  plugins: [preact()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: false,
  },
  server: { proxy: { '/api': process.env.TOCSIN_CONSOLE_URL ?? 'http://127.0.0.1:9469' } },
});
