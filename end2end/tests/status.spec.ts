import AxeBuilder from "@axe-core/playwright";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type APIRequestContext } from "@playwright/test";
import { expect, test } from "../fixtures";
import { authFile, signedOut } from "../people";

// The public status page as customers read it (signed out; the page has no
// JavaScript): an incident told to everyone shows with its message, its
// component's 90-day bar colours today as a major outage once it is resolved, the
// page fits 1280 and 360 px, and axe finds nothing serious. A reader subscribes
// with the page's form, confirms from the emailed link, gets the next message by
// email and unsubscribes with the link in it.

// One worker runs this file's tests in order: several change the shared list of
// components (the admin page saves the whole list it shows).
test.describe.configure({ mode: "serial" });

const stamp = () => Date.now().toString(36) + Math.random().toString(36).slice(2, 6);

async function ok(response: Promise<import("@playwright/test").APIResponse>, status = 200) {
  const answer = await response;
  expect(answer.status(), await answer.text()).toBe(status);
  return answer.json();
}

/** A system shown as its own component, and a P1 on it told to everyone, then resolved. */
async function toldIncident(request: APIRequestContext, withComponent = true) {
  const s = stamp();
  const component = `Widgets ${s}`;
  await ok(request.post("/api/v1/systems", { data: { slug: `sp-${s}`, name: `Internal ${s}`, customer_name: component } }), 201);
  if (withComponent) {
    // Only one test here changes the list: a read-then-write race would drop one.
    const existing = await ok(request.get("/api/v1/status/components"));
    await ok(
      request.put("/api/v1/status/components", {
        data: [...existing, { slug: `widgets-${s}`, name: component, group: "Status spec", systems: [`sp-${s}`] }],
      }),
    );
  }
  // A standard-tier account: its messages need no second approval.
  await ok(request.post("/api/v1/accounts", { data: { slug: `sp-${s}`, name: `Account ${s}`, tier: "standard", contact_emails: [`ops-${s}@sp.example`] } }), 201);
  const incident = await ok(
    request.post("/api/v1/incidents", {
      data: { title: `Internal title ${s}`, severity: "P1", systems: [`sp-${s}`], accounts: [`sp-${s}`] },
    }),
    201,
  );
  const key = incident.key;
  const tell = async (customer_status: string, body: string) => {
    const drafted = await ok(
      request.post(`/api/v1/incidents/${key}/messages`, { data: { audience: { kind: "all" }, customer_status, body } }),
      201,
    );
    await ok(request.post(`/api/v1/incidents/${key}/messages/${drafted.id}/transitions`, { data: { action: "send" } }));
  };
  await tell("investigating", `Widgets ${s} fail to load for some customers.`);
  await ok(request.patch(`/api/v1/incidents/${key}`, { data: { status: "resolved" } }));
  await tell("resolved", `Widgets ${s} load normally again.`);
  return { s, component, key };
}

/** The bodies (quoted-printable decoded, as a mail client shows them) the run's SMTP sink got for `address`. */
function mailsTo(address: string): string[] {
  const dir = process.env.E2E_MAIL_DIR ?? "";
  return readdirSync(dir)
    .map((name) => JSON.parse(readFileSync(join(dir, name), "utf8")) as { to: string[]; data: string })
    .filter((mail) => mail.to.includes(address))
    .map((mail) =>
      mail.data
        .replace(/=\r?\n/g, "")
        .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))),
    );
}

/** The path and query of the first link in `mail` whose path starts with `path`. */
function linkIn(mail: string, path: string): string {
  const found = mail.match(new RegExp(`https?://[^\\s>]*${path.replace(/[?]/g, "\\?")}[^\\s>]*`));
  expect(found, `a ${path} link in ${mail}`).not.toBeNull();
  const url = new URL(found![0]);
  return url.pathname + url.search;
}

test.describe("the public status page", () => {
  test.use({ storageState: signedOut });

  test("shows a told incident and colours its day, at 1280 and 360 px", async ({ page, request, javaScriptEnabled }) => {
    test.skip(javaScriptEnabled, "the page has no JavaScript: checked once, without");
    const { s, component, key } = await toldIncident(request);
    const today = new Date().toISOString().slice(0, 10);
    for (const width of [1280, 360]) {
      await page.setViewportSize({ width, height: 900 });
      const response = await page.goto("/status");
      expect(response?.status()).toBe(200);
      const incident = page.locator(`article#${key}`);
      await expect(incident.getByRole("heading")).toHaveText(`Service disruption affecting ${component}`);
      await expect(incident).toContainText(`Widgets ${s} load normally again.`);
      await expect(incident).toContainText(`Widgets ${s} fail to load for some customers.`);
      await expect(page.locator("body")).not.toContainText(`Internal title ${s}`);
      const row = page.locator(".component", { hasText: component });
      await expect(row.locator(".state")).toHaveText("Operational");
      const day = row.locator(`rect[data-date="${today}"]`);
      await expect(day).toHaveClass("day-critical");
      // The design's critical red, as drawn.
      expect(await day.evaluate((el) => getComputedStyle(el).fill)).toBe("rgb(207, 34, 46)");
      await expect(row.locator("svg title").first()).toBeAttached();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow, `no sideways scrolling at ${width} px`).toBeLessThanOrEqual(0);
      await test.info().attach(`status-${width}`, { body: await page.screenshot({ fullPage: true }), contentType: "image/png" });
    }
  });

  test("has no serious accessibility violation", async ({ browser, request, javaScriptEnabled, baseURL }) => {
    test.skip(!javaScriptEnabled, "axe runs as a script: checked once");
    await toldIncident(request, false);
    // The page allows no script at all; axe is injected past its policy.
    const context = await browser.newContext({ baseURL, bypassCSP: true, storageState: signedOut });
    const page = await context.newPage();
    await page.goto("/status");
    const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
    const failing = results.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => `${v.id} (${v.nodes.length}×): ${v.help} ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
    expect(failing).toEqual([]);
    await context.close();
  });

  test("a subscriber confirms from the emailed link, gets the next message and unsubscribes", async ({
    page,
    request,
    javaScriptEnabled,
  }) => {
    test.skip(javaScriptEnabled, "the page has no JavaScript: checked once, without");
    const reader = `reader-${stamp()}@subscriber.example`;
    await page.goto("/status");
    // An address the browser lets through but the server refuses: the problem is
    // named next to the box, and what was typed stays in it.
    await page.getByLabel("Email address").fill("reader@localhost");
    await page.getByRole("button", { name: "Subscribe" }).click();
    await expect(page.locator("#subscribe-error")).toContainText("is not an email address");
    await expect(page.getByLabel("Email address")).toHaveValue("reader@localhost");
    await page.getByLabel("Email address").fill(reader);
    await page.getByRole("button", { name: "Subscribe" }).click();
    await expect(page.locator("main")).toContainText("confirmation link");

    await expect.poll(() => mailsTo(reader).length, { timeout: 15_000 }).toBe(1);
    const [confirmation] = mailsTo(reader);
    expect(confirmation).toContain("Subject: Confirm your subscription");
    await page.goto(linkIn(confirmation, "/status/subscriptions/confirm?token="));
    await expect(page.getByRole("heading", { level: 2 })).toHaveText("Subscribed");

    // Other specs may tell everyone of their incidents meanwhile: look for this one's.
    const { s } = await toldIncident(request, false);
    const about = (id: string) => mailsTo(reader).filter((mail) => mail.includes(`Widgets ${id}`));
    await expect.poll(() => about(s).length, { timeout: 15_000 }).toBe(2);
    const told = about(s).join("\n");
    expect(told).toContain(`Widgets ${s} fail to load for some customers.`);
    expect(told).toContain(`Widgets ${s} load normally again.`);
    expect(told).toContain("List-Unsubscribe-Post: List-Unsubscribe=One-Click");
    expect(told).not.toContain(`Internal title ${s}`);

    await page.goto(linkIn(about(s)[0], "/status/subscriptions/unsubscribe?token="));
    await expect(page.getByRole("heading", { level: 2 })).toHaveText("Unsubscribed");
    const after = await toldIncident(request, false);
    // The next incident's mail reaches its account's contact, and not this reader.
    await expect.poll(() => mailsTo(`ops-${after.s}@sp.example`).length, { timeout: 15_000 }).toBe(2);
    await page.waitForTimeout(2_000);
    expect(about(after.s)).toEqual([]);
  });
});

test.describe("the status page's admin page", () => {
  test("customer success names the page, adds a component and schedules maintenance, refusals named in place", async ({
    browser,
    request,
    javaScriptEnabled,
  }) => {
    // The browser's zone is where typed times are read (Priya's pages follow it).
    const context = await browser.newContext({ storageState: authFile("priya"), javaScriptEnabled, timezoneId: "Europe/Berlin" });
    const page = await context.newPage();
    const s = stamp();
    await ok(request.post("/api/v1/systems", { data: { slug: `gd-${s}`, name: `Gadget service ${s}` } }), 201);
    const open = async () => {
      await page.goto("/admin/status");
      if (javaScriptEnabled) await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
    };
    await open();
    await expect(page.getByRole("heading", { name: "Status page", level: 1 })).toBeVisible();
    await expect(page.locator("#known-systems")).toContainText(`gd-${s}`);

    // Page name: an empty one is refused next to the box.
    const name = page.getByLabel("Shown at the top of every status page");
    await name.fill(" ");
    await page.getByRole("button", { name: "Save name" }).click();
    await expect(page.locator("#status-page-name-error")).not.toBeEmpty();

    // A component with a bad slug: named on its row, and the row keeps what was typed.
    const row = page.locator("fieldset.component-row", { has: page.getByText(/^New component/) }).first();
    const i = await row.getAttribute("data-row");
    await row.getByLabel("Slug", { exact: true }).fill("Bad Slug!");
    await row.getByLabel("Name customers read").fill(`Gadgets ${s}`);
    await row.getByLabel("Systems (slugs, comma-separated)").fill(`gd-${s}`);
    await page.getByRole("button", { name: "Save components" }).click();
    await expect(page.locator(`#component-${i}-slug-error`)).not.toBeEmpty();
    const kept = page.locator(`fieldset.component-row[data-row="${i}"]`);
    await expect(kept.getByLabel("Slug", { exact: true })).toHaveValue("Bad Slug!");
    await expect(kept.getByLabel("Name customers read")).toHaveValue(`Gadgets ${s}`);
    expect(await (await request.get("/api/v1/status/components")).text()).not.toContain(`Gadgets ${s}`);
    // The hydrated and the no-JavaScript runs go at once: only one saves the list.
    if (!javaScriptEnabled) {
    await kept.getByLabel("Slug", { exact: true }).fill(`gadgets-${s}`);
    await page.getByRole("button", { name: "Save components" }).click();
    await expect
      .poll(async () => (await ok(request.get("/api/v1/status/components"))).map((c: { slug: string }) => c.slug))
      .toContain(`gadgets-${s}`);
    const saved = (await ok(request.get("/api/v1/status/components"))).find((c: { slug: string }) => c.slug === `gadgets-${s}`);
    expect(saved.systems).toEqual([`gd-${s}`]);
    await expect(page.locator(`fieldset.component-row input[value="gadgets-${s}"]`)).toHaveCount(1);
    }

    // Maintenance: an end before the start is refused and the form keeps its text.
    await open();
    const day = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);
    const form = page.locator("#maintenance-form");
    await expect(page.locator("#maintenance-zone")).toContainText(javaScriptEnabled ? "Europe/Berlin" : "UTC");
    await form.getByLabel("Title customers read").fill(`Database upgrade ${s}`);
    await form.getByLabel(/First message/).fill("Checkout may be slow for ten minutes.");
    await form.getByLabel("Starts").fill(`${day}T02:00`);
    await form.getByLabel("Ends").fill(`${day}T01:00`);
    if (!javaScriptEnabled) await form.getByLabel(`Gadgets ${s}`).check();
    await form.getByRole("button", { name: "Schedule" }).click();
    await expect(page.locator("#maintenance-until-error")).toContainText("after the start");
    await expect(form.getByLabel("Title customers read")).toHaveValue(`Database upgrade ${s}`);
    if (!javaScriptEnabled) await expect(form.getByLabel(`Gadgets ${s}`)).toBeChecked();
    await form.getByLabel("Ends").fill(`${day}T03:30`);
    await form.getByRole("button", { name: "Schedule" }).click();
    const item = page.locator(".maintenance-item", { hasText: `Database upgrade ${s}` });
    await expect(item).toHaveAttribute("data-state", "scheduled");
    if (!javaScriptEnabled) await expect(item).toContainText(`Gadgets ${s}`);
    const upcoming = await ok(request.get("/status/api/v2/scheduled-maintenances/upcoming.json"));
    const announced = upcoming.scheduled_maintenances.find((m: { name: string }) => m.name === `Database upgrade ${s}`);
    // 02:00 in Berlin is 01:00 UTC in winter.
    const utcHour = javaScriptEnabled ? "01:00" : "02:00";
    expect(new Date(announced.scheduled_for).toISOString()).toBe(`${day}T${utcHour}:00.000Z`);

    // Moved on from its own item.
    await item.getByLabel("Move to").selectOption("in_progress");
    await item.getByLabel("Message to customers").fill("The upgrade has started.");
    await item.getByRole("button", { name: "Post update" }).click();
    await expect(page.locator(".maintenance-item", { hasText: `Database upgrade ${s}` })).toHaveAttribute("data-state", "in_progress");
    const status = await (await request.get("/status")).text();
    expect(status).toContain("The upgrade has started.");

    for (const width of [1280, 360]) {
      await page.setViewportSize({ width, height: 900 });
      await test.info().attach(`status-admin-${width}`, { body: await page.screenshot({ fullPage: true }), contentType: "image/png" });
      // Named in the failure: the first elements reaching past the right edge.
      const wide = await page.evaluate(() => [...document.querySelectorAll("body *")].filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1).slice(0, 5).map((e) => e.tagName + "." + e.className + "#" + e.id));
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow, `no sideways scrolling at ${width} px: ${wide.join(", ")}`).toBeLessThanOrEqual(0);
    }
    // A private page link, made here and replaced here: the old one stops working.
    // (The link is shown once, in the answer: that takes JavaScript.)
    if (javaScriptEnabled) {
      await ok(request.post("/api/v1/accounts", { data: { slug: `ln-${s}`, name: `Linked ${s}`, tier: "enterprise" } }), 201);
      await open();
      const account = page.locator(`#status-link-table tr[data-slug="ln-${s}"]`);
      await expect(account).toContainText("none yet");
      const linkOf = async () => {
        const shown = (await page.locator("#status-new-link code").textContent()) ?? "";
        expect(shown).toContain("/status/a/");
        return new URL(shown).pathname;
      };
      await account.getByRole("button", { name: `Make a new link for Linked ${s}` }).click();
      await expect(page.locator("#status-new-link")).toContainText(`ln-${s}`);
      const first = await linkOf();
      expect((await request.get(first)).status()).toBe(200);
      await expect(account).toContainText("shared");
      await account.getByRole("button", { name: `Make a new link for Linked ${s}` }).click();
      await expect.poll(linkOf).not.toBe(first);
      const second = await linkOf();
      expect((await request.get(first)).status()).toBe(404);
      expect((await request.get(second)).status()).toBe(200);
      await open();
    }

    // Finished: close the work so the public page's upcoming list stays short.
    await item.getByLabel("Move to").selectOption("completed");
    await item.getByLabel("Message to customers").fill("The upgrade is done.");
    await item.getByRole("button", { name: "Post update" }).click();
    await expect(page.locator(".maintenance-item", { hasText: `Database upgrade ${s}` })).toHaveCount(0);
    await context.close();
  });
});
