import { type APIRequestContext, type Page } from "@playwright/test";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "../fixtures";
import { authFile } from "../people";

// The live war room and incident list in a real browser: reconnecting after a server
// restart, posting while offline, the list updating itself, the new-updates pill,
// and times that tick by the server's clock. All need JavaScript.
test.beforeEach(({ javaScriptEnabled }) => {
  test.skip(!javaScriptEnabled, "live updates need JavaScript");
});

const stamp = () => Date.now().toString(36);

async function declare(request: APIRequestContext, title: string): Promise<string> {
  const declared = await request.post("/api/v1/incidents", { data: { title, severity: "P2" } });
  expect(declared.status()).toBe(201);
  return (await declared.json()).key;
}

async function post(request: APIRequestContext, key: string, body: string) {
  const posted = await request.post(`/api/v1/incidents/${key}/timeline`, { data: { body } });
  expect(posted.status()).toBe(201);
}

async function openWarRoom(page: Page, key: string) {
  await page.goto(`/incidents/${key}`);
  await expect(page.locator("#live-state")).toHaveText("Live");
}

test("a post written while offline waits in the page, then is stored once", async ({ browser, request }) => {
  const key = await declare(request, `Offline ${stamp()}`);
  const context = await browser.newContext({ storageState: authFile("sam") });
  const page = await context.newPage();
  await openWarRoom(page, key);

  await context.setOffline(true);
  await expect(page.locator("#live-state")).toHaveAttribute("data-state", "offline");
  const form = page.locator("#post-form");
  await form.getByLabel("What happened").fill("Written on the train");
  await form.getByRole("button", { name: "Post" }).click();
  await expect(page.locator("#pending-posts")).toContainText("Waiting to post: Written on the train");
  await expect(form.getByLabel("What happened")).toHaveValue("");

  await context.setOffline(false);
  await expect(page.locator("#live-state")).toHaveText("Live");
  await expect(page.locator("#timeline .entry", { hasText: "Written on the train" })).toHaveCount(1);
  await expect(page.locator("#pending-posts")).toBeHidden();
  const timeline = await (await request.get(`/api/v1/incidents/${key}/timeline`)).json();
  expect(timeline.filter((e: { body: string }) => e.body === "Written on the train")).toHaveLength(1);
  await context.close();
});

test("the incident list shows new incidents and status changes without a reload", async ({ page, request }) => {
  await page.goto("/");
  await expect(page.locator("#live-state")).toHaveText("Live");
  await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));

  const title = `Listed live ${stamp()}`;
  const key = await declare(request, title);
  const row = page.locator(".incident-row", { hasText: title });
  await expect(row).toBeVisible();
  await expect(row.locator(".ago")).toHaveText("(just now)");
  const moved = await request.patch(`/api/v1/incidents/${key}`, { data: { status: "identified" } });
  expect(moved.status()).toBe(200);
  await expect(row.locator(".status")).toHaveText("identified");
  // The relative time ticks by itself.
  await expect(row.locator(".ago")).toHaveText(/^\(\d+ s ago\)$/, { timeout: 15_000 });
  expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
});

test("times count from the server's clock, not the browser's", async ({ page, request }) => {
  const key = await declare(request, `Clock ${stamp()}`);
  // This laptop's clock is two hours fast.
  await page.clock.setFixedTime(Date.now() + 2 * 3600_000);
  await openWarRoom(page, key);
  await post(request, key, "Posted a moment ago");
  const entry = page.locator("#timeline .entry", { hasText: "Posted a moment ago" });
  await expect(entry.locator(".ago")).toHaveText("(just now)");
});

// Events carry what changed, so the war room applies them in place: other people's
// posts, a correction and a status change show up without the page asking the server
// for the timeline or the incident again.
test("the war room applies events in place, without reloading its data", async ({ page, request }) => {
  const key = await declare(request, `In place ${stamp()}`);
  await openWarRoom(page, key);
  const reloads: string[] = [];
  page.on("request", (r) => {
    if (/\/api\/fn\/get_(timeline|incident)\b/.test(r.url())) reloads.push(r.url());
  });

  await post(request, key, "Error rate at 12 %");
  const posted = await request.post(`/api/v1/incidents/${key}/timeline`, { data: { body: "Rolled back v42" } });
  expect(posted.status()).toBe(201);
  const entry = await posted.json();
  await expect(page.locator("#timeline .entry")).toHaveCount(3);
  await expect(page.locator("#timeline")).toContainText("Rolled back v42");

  const revised = await request.post(`/api/v1/incidents/${key}/timeline/${entry.seq}/revisions`, { data: { body: "Rolled back to v41" } });
  expect(revised.ok()).toBeTruthy();
  await expect(page.locator("#timeline")).toContainText("Rolled back to v41");
  await expect(page.locator("#timeline .entry")).toHaveCount(3);

  const moved = await request.patch(`/api/v1/incidents/${key}`, { data: { status: "monitoring", reason: "rollback done" } });
  expect(moved.ok()).toBeTruthy();
  await expect(page.locator(".badges .status")).toHaveText("monitoring");
  await expect(page.locator("#timeline .entry")).toHaveCount(4);
  expect(reloads).toEqual([]);
});

test("new entries while scrolled up show as a pill and the page does not move", async ({ browser, request }) => {
  const key = await declare(request, `Pill ${stamp()}`);
  for (let n = 1; n <= 12; n++) {
    await post(request, key, `Earlier update ${n}: a line long enough to take some room on a phone`);
  }
  const page = await browser.newPage({ storageState: authFile("sam"), viewport: { width: 360, height: 640 } });
  await openWarRoom(page, key);
  await expect(page.locator("#timeline .entry")).toHaveCount(13);
  await page.evaluate(() => window.scrollTo(0, 300));
  await expect(page.locator("#new-updates")).toBeHidden();

  await post(request, key, "Newest 1");
  await post(request, key, "Newest 2");
  await expect(page.locator("#timeline .entry")).toHaveCount(15);
  await expect(page.locator("#new-updates")).toHaveText("2 new updates ↓");
  expect(await page.evaluate(() => window.scrollY)).toBe(300);

  await page.locator("#new-updates").click();
  await expect(page.locator("#new-updates")).toBeHidden();
  await expect(page.locator("#timeline .entry").last()).toBeInViewport();
  await page.close();
});

// A server of this test's own, so it can be stopped and started again.
class OwnServer {
  process?: ChildProcess;
  readonly dataDir = mkdtempSync(join(tmpdir(), "sitrep-e2e-restart-"));
  constructor(readonly port: number) {}

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  task(args: string[], input = "") {
    return execFileSync(process.env.SITREP_BIN ?? "../target/debug/sitrep", args, {
      input,
      env: { ...process.env, SITREP_DATA_DIR: this.dataDir, RUST_LOG: "error" },
    }).toString();
  }

  async start() {
    this.process = spawn(process.env.SITREP_BIN ?? "../target/debug/sitrep", [], {
      env: {
        ...process.env,
        SITREP_LISTEN: `127.0.0.1:${this.port}`,
        SITREP_DATA_DIR: this.dataDir,
        SITREP_SITE_ROOT: process.env.SITREP_SITE_ROOT ?? "../target/site",
        RUST_LOG: "error",
      },
      stdio: "ignore",
    });
    await expect
      .poll(async () => (await fetch(`${this.url}/readyz`).catch(() => undefined))?.status, { timeout: 20_000 })
      .toBe(200);
  }

  async stop() {
    if (!this.process || this.process.exitCode !== null || this.process.signalCode !== null) return;
    const exited = new Promise((resolve) => this.process?.once("exit", resolve));
    this.process?.kill("SIGTERM");
    await exited;
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

test("after a server restart the war room reconnects by itself and shows what was posted meanwhile", async ({ browser, playwright }) => {
  const server = new OwnServer(await freePort());
  const email = "rhea@example.com";
  const password = "rhea's long password";
  server.task(["user", "add", "--email", email, "--name", "Rhea Restart", "--role", "engineer", "--password-stdin"], `${password}\n`);
  const token = server.task(["token", "create", "--user", email, "--name", "e2e"]).trim().split("\n").pop()!;
  await server.start();
  try {
    const api = await playwright.request.newContext({ baseURL: server.url, extraHTTPHeaders: { authorization: `Bearer ${token}` } });
    const key = await declare(api, `Restart ${stamp()}`);
    const context = await browser.newContext({ baseURL: server.url });
    expect((await context.request.post("/api/v1/session", { data: { email, password } })).status()).toBe(200);
    const page = await context.newPage();
    await openWarRoom(page, key);
    await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));

    await server.stop();
    await expect(page.locator("#live-state")).toHaveText("Reconnecting…");
    await server.start();
    for (const body of ["Posted during the outage 1", "Posted during the outage 2", "Posted during the outage 3"]) {
      await post(api, key, body);
    }
    await expect(page.locator("#live-state")).toHaveText("Live", { timeout: 20_000 });
    await expect(page.locator("#timeline .entry")).toHaveCount(4);
    await expect(page.locator("#timeline .entry").nth(3)).toContainText("Posted during the outage 3");
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    await api.dispose();
    await context.close();
  } finally {
    await server.stop();
  }
});
