import { fileURLToPath } from "node:url"
import { defineConfig } from "vite"

/**
 * Builds the web UI from `app/` into `dist/ui/` (the Node entry built by tsup sits
 * next to it in `dist/`). `base: "./"` makes every asset URL relative, so the same build
 * works at `/` and under any mount path.
 */
export default defineConfig({
  root: fileURLToPath(new URL("./app", import.meta.url)),
  base: "./",
  publicDir: false,
  build: {
    outDir: fileURLToPath(new URL("./dist/ui", import.meta.url)),
    emptyOutDir: true,
    target: "es2022",
    assetsInlineLimit: 0,
    reportCompressedSize: true
  },
  server: {
    proxy: {
      "/api": { target: process.env.ORCHESTRATOR_APP ?? "http://127.0.0.1:8080", ws: true }
    }
  }
})
