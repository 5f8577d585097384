import { expect, test } from "../fixtures";
import { authFile, people, signedOut } from "../people";

// Signing in from a signed-out browser: pages send you to the sign-in page and,
// once signed in, back to the page you asked for. A wrong password is refused with
// a message; the audit log shows both attempts. (First run: setup/first-run.setup.ts.)
test.describe("signed out", () => {
  test.use({ storageState: signedOut });

  test("a page asks for sign-in, then opens", async ({ page, javaScriptEnabled }) => {
    await page.goto("/admin/audit?action=login");
    await expect(page).toHaveURL(/\/login\?next=%2Fadmin%2Faudit%3Faction%3Dlogin$/);
    if (javaScriptEnabled) {
      await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
    }
    await expect(page.locator(".topnav")).toContainText("Sign in");
    const form = page.locator("#login-form");
    await form.getByLabel("Email").fill(people.admin.email);
    await form.getByLabel("Password").fill("not the password");
    await form.getByRole("button", { name: "Sign in" }).click();
    await expect(page.locator("#login-form").getByRole("alert")).toContainText("Wrong email or password");

    await page.locator("#login-form").getByLabel("Email").fill(people.admin.email);
    await page.locator("#login-form").getByLabel("Password").fill(people.admin.password);
    await page.locator("#login-form").getByRole("button", { name: "Sign in" }).click();
    await expect(page).toHaveURL(/\/admin\/audit\?action=login$/);
    await expect(page.locator("#user-menu")).toContainText("Ada Admin");
    const table = page.locator("#audit-table");
    await expect(table).toContainText("login.failed");
    await expect(table).toContainText(people.admin.email);

    await page.locator("#user-menu").getByRole("button", { name: "Sign out" }).click();
    await expect(page).toHaveURL(/\/login$/);
    await page.goto("/");
    await expect(page).toHaveURL(/\/login\?next=%2F$/);
  });
});

// Each role sees the forms it may use, and only those.
test.describe("what each role is offered", () => {
  async function warRoom(page: import("@playwright/test").Page, request: import("@playwright/test").APIRequestContext) {
    const declared = await request.post("/api/v1/incidents", { data: { title: `Roles ${Date.now().toString(36)}`, severity: "P3" } });
    expect(declared.status()).toBe(201);
    const { key } = await declared.json();
    await page.goto(`/incidents/${key}`);
    await expect(page.getByRole("heading", { level: 1 })).toContainText("Roles");
  }

  test.describe("a viewer", () => {
    test.use({ storageState: authFile("victor") });
    test("reads, and is offered nothing to change", async ({ page, request }) => {
      await warRoom(page, request);
      await expect(page.locator("#timeline .entry")).toHaveCount(1);
      for (const form of ["#post-form", "#status-form", "#roles-form", "#impact-form"]) {
        await expect(page.locator(form)).toHaveCount(0);
      }
      await expect(page.locator(".topnav")).not.toContainText("Catalog");
      await page.goto("/");
      await expect(page.locator("#declare-form")).toHaveCount(0);
      const response = await page.goto("/admin/catalog");
      expect(response?.status()).toBe(403);
      await expect(page.locator("body")).toContainText("lacks the manage_catalog permission");
    });
  });

  test.describe("customer success", () => {
    test.use({ storageState: authFile("priya") });
    test("posts notes and reports customer issues, and cannot move the incident", async ({ page, request, javaScriptEnabled }) => {
      await warRoom(page, request);
      if (javaScriptEnabled) {
        await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
      }
      const post = page.locator("#post-form");
      await expect(post.getByLabel("Kind").locator("option")).toHaveText(["Note"]);
      await expect(page.locator("#status-form")).toHaveCount(0);
      await post.getByLabel("What happened").fill("Acme asks for an update every 30 min");
      await post.getByRole("button", { name: "Post" }).click();
      await expect(page.locator("#timeline .entry")).toHaveCount(2);
      await expect(page.locator("#timeline .entry").nth(1)).toContainText("Priya Raman");
      await expect(page.locator(".topnav")).toContainText("Report a customer issue");
    });
  });
});
