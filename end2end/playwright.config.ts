import { defineConfig } from "@playwright/test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { authFile } from "./people";
import { setupToken } from "./setup-token";

// The suite runs twice: hydrated, and with JavaScript disabled (progressive enhancement).
// It starts the built server itself on a fresh database; scripts/test.sh picks the port.
const port = Number(process.env.E2E_PORT ?? 3010);
const baseURL = `http://127.0.0.1:${port}`;
// Made once by the runner; its workers inherit it (the setup adds people with the CLI).
const dataDir = (process.env.E2E_DATA_DIR ??= mkdtempSync(join(tmpdir(), "sitrep-e2e-")));
// The SMTP sink (smtp-sink.mjs) writes each mail it receives here; tests read them.
const mailDir = (process.env.E2E_MAIL_DIR ??= mkdtempSync(join(tmpdir(), "sitrep-e2e-mail-")));
const smtpPort = Number((process.env.E2E_SMTP_PORT ??= String(port + 1)));
// A second server with the demo company (`--demo`) for the visual-regression
// screenshots: its data does not change while the other tests run.
const demoPort = Number((process.env.E2E_DEMO_PORT ??= String(port + 2)));
const demoDir = (process.env.E2E_DEMO_DIR ??= mkdtempSync(join(tmpdir(), "sitrep-e2e-demo-")));

export default defineConfig({
  testDir: "./tests",
  timeout: 30_000,
  fullyParallel: true,
  workers: 2,
  // A failed test runs once more and is reported as flaky: a known few race under the
  // full suite's load (see the README). E2E_RETRIES=0 shows every failure at once.
  retries: Number(process.env.E2E_RETRIES ?? 1),
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
  // The setup claims the instance (first run) and signs everyone in; the suites act
  // as the admin unless a test says otherwise.
  projects: [
    { name: "setup", testDir: "./setup", testMatch: /.*\.setup\.ts/, use: { javaScriptEnabled: true } },
    { name: "hydrated", dependencies: ["setup"], use: { javaScriptEnabled: true, storageState: authFile("admin") } },
    { name: "no-javascript", dependencies: ["setup"], use: { javaScriptEnabled: false, storageState: authFile("admin") } },
  ],
  // Screenshots are compared with committed baselines (tests/*-snapshots), with a
  // small tolerance; update them deliberately: npx playwright test visual --update-snapshots
  expect: { timeout: 10_000, toHaveScreenshot: { maxDiffPixelRatio: 0.01, animations: "disabled" } },
  webServer: [
    {
      command: "node smtp-sink.mjs",
      port: smtpPort,
      reuseExistingServer: false,
      timeout: 10_000,
      env: { E2E_SMTP_PORT: String(smtpPort), E2E_MAIL_DIR: mailDir },
    },
    {
      command: process.env.SITREP_BIN ?? "../target/debug/sitrep",
      url: `${baseURL}/readyz`,
      reuseExistingServer: false,
      timeout: 30_000,
      stdout: "pipe",
      env: {
        SITREP_LISTEN: `127.0.0.1:${port}`,
        SITREP_DATA_DIR: dataDir,
        SITREP_SITE_ROOT: process.env.SITREP_SITE_ROOT ?? "../target/site",
        // E2E_SERVER_LOG=info with DEBUG=pw:webserver shows the server's log.
        RUST_LOG: process.env.E2E_SERVER_LOG ?? "error",
        // The first-run setup needs the token the server would print.
        SITREP_SETUP_TOKEN: setupToken,
        SITREP_SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
        SITREP_RETRY_BASE_MS: "500",
      },
    },
    {
      command: `${process.env.SITREP_BIN ?? "../target/debug/sitrep"} --demo`,
      url: `http://127.0.0.1:${demoPort}/readyz`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: "pipe",
      env: {
        SITREP_LISTEN: `127.0.0.1:${demoPort}`,
        SITREP_DATA_DIR: demoDir,
        SITREP_SITE_ROOT: process.env.SITREP_SITE_ROOT ?? "../target/site",
        RUST_LOG: "error",
      },
    },
  ],
});
