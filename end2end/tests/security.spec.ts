import { expect, test } from "../fixtures";

// Every page hydrates under the Content Security Policy (nonce'd hydration script,
// 'wasm-unsafe-eval', nothing inline) and the browser reports no violation.
test("pages hydrate under the CSP without violations", async ({ page, request, javaScriptEnabled }) => {
  test.skip(!javaScriptEnabled, "the policy is about scripts");
  const violations: string[] = [];
  page.on("console", (message) => {
    if (message.text().includes("Content Security Policy")) violations.push(message.text());
  });
  const { key } = await (
    await request.post("/api/v1/incidents", { data: { title: "CSP check", severity: "P3" } })
  ).json();
  for (const path of ["/", "/report", "/admin/catalog", `/incidents/${key}`]) {
    await page.goto(path);
    await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  }
  expect(violations).toEqual([]);
});

// A form on another site cannot make the browser write here.
test("a cross-site form post is refused", async ({ page, javaScriptEnabled }) => {
  test.skip(!javaScriptEnabled, "one run is enough");
  const evil = `<form method="post" action="${test.info().project.use.baseURL}/api/fn/declare_incident">
    <input name="title" value="Planted by another site"><input name="severity" value="P1">
    <input name="description" value=""><button>go</button></form>`;
  await page.route("http://evil.test/", (route) => route.fulfill({ contentType: "text/html", body: evil }));
  await page.goto("http://evil.test/");
  const [response] = await Promise.all([page.waitForResponse(/declare_incident/), page.getByRole("button").click()]);
  expect(response.status()).toBe(403);
  await page.goto("/");
  await expect(page.locator("#incident-list")).not.toContainText("Planted by another site");
});
