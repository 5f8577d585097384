import { defineConfig } from "@playwright/test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setupToken } from "./setup-token";

// The suite runs twice: hydrated, and with JavaScript disabled (progressive enhancement).
// It starts the built server itself on a fresh database; scripts/test.sh picks the port.
const port = Number(process.env.E2E_PORT ?? 3010);
const baseURL = `http://127.0.0.1:${port}`;
const dataDir = mkdtempSync(join(tmpdir(), "sitrep-e2e-"));

export default defineConfig({
  testDir: "./tests",
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: true,
  workers: 2,
  retries: 0,
  reporter: [["list"]],
  use: {
    baseURL,
    trace: "retain-on-failure",
    launchOptions: {
      // Debian's Chromium: Playwright's own browser download is not reachable here.
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  projects: [
    { name: "hydrated", use: { javaScriptEnabled: true } },
    { name: "no-javascript", use: { javaScriptEnabled: false } },
  ],
  webServer: {
    command: process.env.SITREP_BIN ?? "../target/debug/sitrep",
    url: `${baseURL}/readyz`,
    reuseExistingServer: false,
    timeout: 30_000,
    stdout: "pipe",
    env: {
      SITREP_LISTEN: `127.0.0.1:${port}`,
      SITREP_DATA_DIR: dataDir,
      SITREP_SITE_ROOT: process.env.SITREP_SITE_ROOT ?? "../target/site",
      RUST_LOG: "error",
      // The first-run setup test needs the token the server would print.
      SITREP_SETUP_TOKEN: setupToken,
    },
  },
});
