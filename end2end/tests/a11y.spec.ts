import AxeBuilder from "@axe-core/playwright";
import { type APIRequestContext, type Page } from "@playwright/test";
import { expect, test } from "../fixtures";
import { authFile, people, signedOut, type Person } from "../people";

// Accessibility: every page, as each role sees it, checked with axe-core against
// WCAG 2.0 and 2.1, levels A and AA. A serious or critical violation fails the page;
// every violation found (minor and moderate too) is printed with the elements it is
// on. A page a role may not open is checked as the refusal page it gets. Hydrated
// only: axe runs as a script in the page, which a page without JavaScript refuses.

const WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];
const FAILING = new Set(["serious", "critical"]);
/** Selectors printed per violation; the count says how many elements there are. */
const SHOWN_TARGETS = 5;

const stamp = () => Date.now().toString(36) + Math.random().toString(36).slice(2, 6);

// A war room with something in each part: impacted accounts (SLA clocks), a timeline
// entry beyond the declaration.
async function declareWarRoom(request: APIRequestContext): Promise<string> {
  const slug = `a11y-${stamp()}`;
  const account = await request.post("/api/v1/accounts", { data: { slug, name: `A11y ${slug}`, tier: "enterprise" } });
  expect(account.status()).toBe(201);
  const declared = await request.post("/api/v1/incidents", {
    data: { title: `Checkout slow ${slug}`, severity: "P1", accounts: [slug] },
  });
  expect(declared.status()).toBe(201);
  const key = (await declared.json()).key;
  const posted = await request.post(`/api/v1/incidents/${key}/timeline`, {
    data: { body: "Error rate **12%** on `POST /payments` since 14:02" },
  });
  expect(posted.status()).toBe(201);
  return key;
}

async function checkPage(page: Page, path: string, who: string, javaScriptEnabled: boolean) {
  const response = await page.goto(path);
  const status = response?.status() ?? 0;
  const type = response?.headers()["content-type"] ?? "";
  const where = `a11y ${who} ${path} (${status}${page.url().endsWith(path) ? "" : ` → ${new URL(page.url()).pathname}`})`;
  if (!type.includes("text/html")) {
    console.log(`${where}: not an HTML page (${type}), not checked`);
    return;
  }
  if (javaScriptEnabled && status === 200) {
    await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  }
  const results = await new AxeBuilder({ page }).withTags(WCAG).analyze();
  await test.info().attach(`axe ${who} ${path}`, {
    body: JSON.stringify(results.violations, null, 2),
    contentType: "application/json",
  });
  if (results.violations.length === 0) {
    console.log(`${where}: no violations`);
  }
  for (const v of results.violations) {
    const targets = v.nodes.map((node) => node.target.map(String).join(" >> "));
    const shown = targets.slice(0, SHOWN_TARGETS).join(", ") + (targets.length > SHOWN_TARGETS ? ", …" : "");
    console.log(`${where}: ${v.id} (${v.impact}) ${v.help} — ${v.nodes.length} element(s): ${shown}`);
  }
  const failing = results.violations
    .filter((v) => FAILING.has(v.impact ?? ""))
    .map((v) => `${v.id} (${v.impact}, ${v.nodes.length}×): ${v.help}`);
  expect(failing, `serious or critical accessibility violations on ${path} as ${who}`).toEqual([]);
}

const signedInPages = [
  "/",
  "/report",
  "/sla",
  "/sla/reports",
  "/comms",
  "/admin/comms",
  "/incidents/:key",
  "/incidents/:key/postmortem",
  "/follow-ups",
  "/admin/catalog",
  "/admin/sla",
  "/admin/integrations",
  "/admin/audit",
  "/admin/status",
  "/settings",
];

const roles: Person[] = ["admin", "sam", "priya", "victor"];

for (const who of roles) {
  test.describe(`as ${people[who].name} (${people[who].role})`, () => {
    test.use({ storageState: authFile(who) });
    for (const template of signedInPages) {
      test(`${template} has no serious accessibility violation`, async ({ page, request, javaScriptEnabled }) => {
        test.skip(!javaScriptEnabled, "checked once, hydrated");
        const key = template.includes(":key") || template === "/follow-ups" ? await declareWarRoom(request) : "";
        if (template.endsWith("/postmortem") || template === "/follow-ups") {
          // A document with its review and follow-up panels, and a follow-up to list.
          expect((await request.post(`/api/v1/incidents/${key}/postmortem`)).status()).toBe(201);
          const followup = await request.post(`/api/v1/incidents/${key}/followups`, {
            data: { title: "Alert on checkout latency", kind: "prevent", owner: people[who].email, due_on: "2026-01-05" },
          });
          expect(followup.status()).toBe(201);
        }
        const path = template.replace(":key", key);
        await checkPage(page, path, people[who].role, javaScriptEnabled);
      });
    }
  });
}

// Dark mode swaps every colour token: the contrast is checked again, as the admin
// (who is shown the most), with the operating system asking for dark.
test.describe("as Ada Admin (admin), in dark mode", () => {
  test.use({ storageState: authFile("admin"), colorScheme: "dark" });
  for (const template of signedInPages) {
    test(`${template} has no serious accessibility violation`, async ({ page, request, javaScriptEnabled }) => {
      test.skip(!javaScriptEnabled, "checked once, hydrated");
      const path = template.includes(":key") ? template.replace(":key", await declareWarRoom(request)) : template;
      await checkPage(page, path, "admin (dark)", javaScriptEnabled);
    });
  }
});

test.describe("signed out", () => {
  test.use({ storageState: signedOut });
  for (const path of ["/login", "/setup"]) {
    test(`${path} has no serious accessibility violation`, async ({ page, javaScriptEnabled }) => {
      test.skip(!javaScriptEnabled, "checked once, hydrated");
      await checkPage(page, path, "signed out", javaScriptEnabled);
    });
  }
});
