// Generates src/api/generated/*.ts from the committed OpenAPI documents; with --check, generates
// into a temporary directory and fails when the committed files differ.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const frontend = resolve(here, "..");
const root = resolve(frontend, "..");
const sources = {
  "backend.ts": join(root, "backend", "openapi.json"),
  "identity.ts": join(root, "services", "identity-service", "openapi.json"),
};
const committed = join(frontend, "src", "api", "generated");
const check = process.argv.includes("--check");
const target = check ? mkdtempSync(join(tmpdir(), "hub-types-")) : committed;
const bin = join(frontend, "node_modules", ".bin", "openapi-typescript");

let stale = [];
try {
  for (const [file, source] of Object.entries(sources)) {
    execFileSync(bin, [source, "--output", join(target, file)], { stdio: ["ignore", "ignore", "inherit"] });
    if (check) {
      let current = "";
      try {
        current = readFileSync(join(committed, file), "utf8");
      } catch {
        // missing counts as stale
      }
      if (current !== readFileSync(join(target, file), "utf8")) stale.push(file);
    }
  }
} finally {
  if (check) rmSync(target, { recursive: true, force: true });
}
if (stale.length) {
  console.error(`generated API types are stale: ${stale.join(", ")} (run: npm run types:generate)`);
  process.exit(1);
}
