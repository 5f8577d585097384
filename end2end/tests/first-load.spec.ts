import { type Browser } from "@playwright/test";
import { expect, test } from "../fixtures";
import { authFile } from "../people";

// First-load transfer: what a browser with an empty cache downloads (on the wire,
// i.e. compressed when the server compresses) of WASM, JS and CSS to get a page
// working. The war room is the page on the budget: someone paged in opens it first,
// maybe on a phone. The other pages are printed alongside to show the spread. The
// timing on a throttled network is a benchmark, not a test: end2end/bench/first-load.mjs.

/** The target for the war room's first load, all WASM + JS + CSS, in KB (1 KB =
 * 1,024 bytes). Not met yet: the whole app is one WASM module (see the README). */
const TARGET_KB = 300;
/** What this test enforces meanwhile: today's bundle and a little room, so that a
 * change which makes the first load heavier fails here. Lower it as the bundle shrinks. */
const BUDGET_KB = 780;

type Kind = "wasm" | "js" | "css";
type Transfer = Record<Kind, number> & { encodings: Set<string> };

const kb = (bytes: number) => (bytes / 1024).toFixed(1);

function kindOf(url: string, mimeType: string): Kind | undefined {
  const path = new URL(url).pathname;
  if (path.endsWith(".wasm") || mimeType === "application/wasm") return "wasm";
  if (/\.m?js$/.test(path) || mimeType.includes("javascript")) return "js";
  if (path.endsWith(".css") || mimeType === "text/css") return "css";
  return undefined;
}

// Opens `path` in a fresh context (nothing cached: the bundle is cached for good
// once loaded, so a shared context would see only the first page's download) and
// adds up, per kind, the bytes Chromium received for each request (`encodedDataLength`
// of Network.loadingFinished: headers and the body as sent).
async function firstLoad(browser: Browser, path: string): Promise<Transfer> {
  const context = await browser.newContext({ storageState: authFile("admin") });
  try {
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    const kinds = new Map<string, Kind>();
    const pending = new Set<string>();
    const transfer: Transfer = { wasm: 0, js: 0, css: 0, encodings: new Set() };
    cdp.on("Network.responseReceived", ({ requestId, response }) => {
      const kind = kindOf(response.url, response.mimeType);
      if (!kind) return;
      kinds.set(requestId, kind);
      pending.add(requestId);
      const headers = Object.fromEntries(Object.entries(response.headers).map(([k, v]) => [k.toLowerCase(), v]));
      transfer.encodings.add(`${kind}:${headers["content-encoding"] ?? "identity"}`);
    });
    cdp.on("Network.loadingFinished", ({ requestId, encodedDataLength }) => {
      const kind = kinds.get(requestId);
      if (!kind) return;
      transfer[kind] += encodedDataLength;
      pending.delete(requestId);
    });
    cdp.on("Network.loadingFailed", ({ requestId }) => pending.delete(requestId));
    await cdp.send("Network.enable");
    await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });

    await page.goto(path);
    // Hydrated: the WASM has been downloaded, compiled and run.
    await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
    await expect.poll(() => pending.size, { message: "asset downloads still running" }).toBe(0);
    expect(transfer.wasm, `no WASM was downloaded for ${path}`).toBeGreaterThan(0);
    return transfer;
  } finally {
    await context.close();
  }
}

test("the war room's first load stays within the transfer budget", async ({ browser, request, javaScriptEnabled }) => {
  test.skip(!javaScriptEnabled, "without JavaScript nothing but the HTML and CSS is loaded");
  test.setTimeout(90_000);
  const declared = await request.post("/api/v1/incidents", {
    data: { title: `First load ${Date.now().toString(36)}`, severity: "P1" },
  });
  expect(declared.status()).toBe(201);
  const key = (await declared.json()).key;

  const pages: [string, string][] = [
    ["war room", `/incidents/${key}`],
    ["incident list", "/"],
    ["SLA board", "/sla"],
    ["catalog", "/admin/catalog"],
  ];
  const totals = new Map<string, number>();
  for (const [name, path] of pages) {
    const t = await firstLoad(browser, path);
    const total = t.wasm + t.js + t.css;
    totals.set(name, total);
    console.log(
      `first load ${name} (${path}): ${kb(total)} KB (wasm ${kb(t.wasm)}, js ${kb(t.js)}, css ${kb(t.css)}; ` +
        `${[...t.encodings].sort().join(", ")})`,
    );
  }

  const warRoom = totals.get("war room") ?? 0;
  console.log(
    `first load war room: ${kb(warRoom)} KB; target ${TARGET_KB} KB ` +
      (warRoom / 1024 <= TARGET_KB ? "met" : `missed by ${kb(warRoom - TARGET_KB * 1024)} KB`) +
      `; enforced budget ${BUDGET_KB} KB`,
  );
  expect(
    warRoom / 1024,
    `the war room's first load is ${kb(warRoom)} KB of WASM + JS + CSS; the budget is ${BUDGET_KB} KB`,
  ).toBeLessThanOrEqual(BUDGET_KB);
});
