import { expect, test } from "../fixtures";
import { authFile } from "../people";

// The war room as people use it: keyboard shortcuts, the composer fixed at the bottom
// of a phone, the header that stays on screen, one-tap status moves, times in the
// reader's zone, the theme toggle, and the list's "new incidents" pill.

async function declared(request: import("@playwright/test").APIRequestContext, title: string, severity = "P2") {
  const response = await request.post("/api/v1/incidents", { data: { title, severity } });
  expect(response.status()).toBe(201);
  return (await response.json()).key as string;
}

test("keyboard shortcuts: ? lists them, / searches, n declares, c writes, g i goes to the list", async ({ page, request, javaScriptEnabled }) => {
  test.skip(!javaScriptEnabled, "shortcuts need JavaScript");
  const key = await declared(request, `Shortcuts ${Date.now().toString(36)}`);
  await page.goto("/");
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");

  await page.keyboard.press("?");
  const dialog = page.locator("#shortcuts");
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText("Search incidents");
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();

  await page.keyboard.press("/");
  await expect(page.locator("#filter-q")).toBeFocused();
  // Typed into a field, a shortcut key is just a letter.
  await page.keyboard.type("nc");
  await expect(page.locator("#filter-q")).toHaveValue("nc");
  await expect(page.locator("#filter-q")).toBeFocused();
  await page.locator("#filter-q").blur();
  await page.keyboard.press("n");
  await expect(page.locator("#declare-title")).toBeFocused();

  await page.goto(`/incidents/${key}`);
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  await page.keyboard.press("c");
  await expect(page.locator("#post-body")).toBeFocused();
  await page.locator("#post-body").blur();
  // `/` from a page without a search box goes to the list and focuses its search.
  await page.keyboard.press("/");
  await expect(page).toHaveURL(/\/$/);
  await expect(page.locator("#filter-q")).toBeFocused();

  await page.goto(`/incidents/${key}`);
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  await page.keyboard.press("g");
  await page.keyboard.press("i");
  await expect(page).toHaveURL(/\/$/);
});

test.describe("on a phone", () => {
  test.use({ viewport: { width: 360, height: 740 }, storageState: authFile("sam") });

  test("the composer sits at the bottom and the header stays on screen", async ({ page, request, javaScriptEnabled }) => {
    const key = await declared(request, `Phone composer ${Date.now().toString(36)}`);
    await page.goto(`/incidents/${key}`);
    if (javaScriptEnabled) {
      await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
    }
    const composer = page.locator("#post-form");
    const box = await composer.boundingBox();
    expect(box).not.toBeNull();
    // Fixed to the bottom edge, one tap away wherever the reader is.
    expect(Math.round(box!.y + box!.height)).toBe(740);
    expect(box!.height).toBeLessThan(200);

    // Post a few entries, then scroll: the header (and its SLA chip) stays.
    for (const n of [1, 2, 3, 4, 5, 6]) {
      await composer.getByLabel("What happened").fill(`Step ${n}: checked the gateway logs and the retry queue for errors`);
      await composer.getByRole("button", { name: "Post" }).click();
      await expect(page.locator("#timeline .entry")).toHaveCount(1 + n);
    }
    await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
    const header = await page.locator("#war-header").boundingBox();
    expect(header!.y).toBeLessThanOrEqual(1);
    await expect(page.locator("#war-header h1")).toBeInViewport();
    const stillFixed = await composer.boundingBox();
    expect(Math.round(stillFixed!.y + stillFixed!.height)).toBe(740);
  });
});

test("one tap moves the status forward, or resolves", async ({ page, request, javaScriptEnabled }) => {
  const key = await declared(request, `Quick status ${Date.now().toString(36)}`);
  await page.goto(`/incidents/${key}`);
  if (javaScriptEnabled) {
    await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  }
  const status = page.locator("#war-header .status");
  await expect(status).toHaveText("investigating");
  await page.getByRole("button", { name: "Mark identified" }).click();
  await expect(status).toHaveText("identified");
  await expect(page.locator("#timeline .entry").last()).toContainText("investigating → identified");
  // From identified the next step is fixing; resolved is always one tap away.
  await expect(page.getByRole("button", { name: "Mark fixing" })).toBeVisible();
  await page.getByRole("button", { name: "Mark resolved" }).click();
  await expect(status).toHaveText("resolved");
  await expect(page.getByRole("button", { name: /^Mark / })).toHaveCount(0);
});

test.describe("in New York", () => {
  test.use({ timezoneId: "America/New_York" });

  test("times show in the reader's zone, named, with UTC on hover", async ({ page, request, javaScriptEnabled }) => {
    test.skip(!javaScriptEnabled, "the server cannot know the reader's zone: without JavaScript times stay in UTC");
    const key = await declared(request, `Zones ${Date.now().toString(36)}`);
    await page.goto(`/incidents/${key}`);
    await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
    const declaredAt = page.locator("#timeline .entry time").first();
    const iso = (await declaredAt.getAttribute("datetime"))!;
    const expected = new Date(iso).toLocaleString("sv-SE", { timeZone: "America/New_York" }).slice(0, 16);
    await expect(declaredAt).toHaveText(new RegExp(`^${expected} E[SD]T$`));
    await expect(declaredAt).toHaveAttribute("title", / UTC$/);
  });
});

test("the theme toggle goes dark and the server renders the next page dark", async ({ page, javaScriptEnabled }) => {
  test.skip(!javaScriptEnabled, "the toggle needs JavaScript (without it the system's preference applies)");
  await page.goto("/sla");
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  const html = page.locator("html");
  await expect(html).not.toHaveAttribute("data-theme", /./);
  await page.locator("#theme-toggle").click();
  await expect(html).toHaveAttribute("data-theme", "dark");
  const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  expect(background).toBe("rgb(15, 18, 22)");
  // The choice is a cookie: the next page arrives dark from the server.
  const served = await (await page.request.get("/sla")).text();
  expect(served).toMatch(/<html[^>]*data-theme="dark"/);
  await page.locator("#theme-toggle").click();
  await expect(html).toHaveAttribute("data-theme", "light");
  await page.locator("#theme-toggle").click();
  await expect(html).not.toHaveAttribute("data-theme", /./);
});

test("new incidents wait on a pill while the reader is scrolled down; a P1 also on a banner", async ({ page, request, javaScriptEnabled }) => {
  test.skip(!javaScriptEnabled, "live updates need JavaScript");
  const run = Date.now().toString(36);
  await page.setViewportSize({ width: 1280, height: 400 });
  // A search of this run's incidents, with one in it, scrolled past the top.
  await declared(request, `Pill ${run} first`);
  await page.goto(`/?q=${encodeURIComponent(`Pill ${run}`)}`);
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  await expect(page.locator("#live-state").first()).toHaveText("Live");
  await page.evaluate(() => document.body.style.setProperty("min-height", "3000px"));
  await page.evaluate(() => window.scrollTo(0, 600));
  const rows = page.locator(".incident-row");
  await expect(rows).toHaveCount(1);

  await declared(request, `Pill ${run} second`, "P1");
  const pill = page.locator("#new-incidents");
  await expect(pill).toHaveText("1 new incident ↑");
  await expect(page.locator("#incoming-p1")).toContainText(`New P1:`);
  await expect(page.locator("#incoming-p1")).toContainText(`Pill ${run} second`);
  // Nothing moved under the pointer.
  await expect(rows).toHaveCount(1);

  await pill.click();
  await expect(rows).toHaveCount(2);
  await expect(rows.first()).toContainText(`Pill ${run} second`);
  await expect(page.locator("#incoming")).toBeHidden();

  // At the top of the page a new incident comes straight in.
  await page.evaluate(() => window.scrollTo(0, 0));
  await declared(request, `Pill ${run} third`);
  await expect(rows).toHaveCount(3);
  await expect(page.locator("#incoming")).toBeHidden();
});
