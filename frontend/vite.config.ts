import tailwindcss from "@tailwindcss/vite";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

// One origin for the browser: /api goes to the backend, /identity to identity-service
// (its own /api/v1 behind the prefix). Both the dev server and `vite preview` proxy.
const backend = process.env.BACKEND_URL ?? "http://127.0.0.1:8000";
const identity = process.env.IDENTITY_URL ?? "http://127.0.0.1:8001";
const proxy = {
  "/api": { target: backend, changeOrigin: true },
  "/identity": {
    target: identity,
    changeOrigin: true,
    rewrite: (path: string) => path.replace(/^\/identity/, ""),
  },
};

export default defineConfig({
  plugins: [react(), tailwindcss()],
  server: { host: "127.0.0.1", port: 5173, strictPort: true, proxy },
  preview: { host: "127.0.0.1", proxy },
  test: { environment: "jsdom", include: ["src/**/*.test.{ts,tsx}"], setupFiles: ["src/testSetup.ts"], testTimeout: 30_000 },
});
