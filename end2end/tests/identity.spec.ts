import { expect, test } from "@playwright/test";
import { setupToken } from "../setup-token";

// First run, then everyday sign-in, in one browser: the first admin claims the
// instance with the setup token, signs out, fails once, signs in, reads the audit log.
test.describe.serial("signing in", () => {
  test("first run: the setup token creates the first admin", async ({ page, javaScriptEnabled }) => {
    test.skip(!javaScriptEnabled, "first run happens once per server: the hydrated run does it");
    await page.goto("/setup");
    await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
    const form = page.locator("#setup-form");
    await form.getByLabel("Setup token").fill("a wrong guess");
    await form.getByLabel("Your email").fill("admin@example.com");
    await form.getByLabel("Your name").fill("Ada Admin");
    await form.getByLabel("Password").fill("a long enough password");
    await form.getByRole("button", { name: "Create admin and sign in" }).click();
    await expect(form.locator("#setup-token-error")).toContainText("not the setup token");

    await form.getByLabel("Setup token").fill(setupToken);
    await form.getByRole("button", { name: "Create admin and sign in" }).click();
    await expect(page).toHaveURL(/\/$/);
    await expect(page.locator("#user-menu")).toContainText("Ada Admin (admin)");
  });

  test("sign out, a wrong password, sign in, the audit log", async ({ page, javaScriptEnabled }) => {
    test.skip(!javaScriptEnabled, "depends on the first-run test of the same run");
    await page.goto("/login");
    await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
    const form = page.locator("#login-form");
    await form.getByLabel("Email").fill("admin@example.com");
    await form.getByLabel("Password").fill("not the password");
    await form.getByRole("button", { name: "Sign in" }).click();
    await expect(form.getByRole("alert")).toContainText("Wrong email or password");
    await form.getByLabel("Password").fill("a long enough password");
    await form.getByRole("button", { name: "Sign in" }).click();
    await expect(page).toHaveURL(/\/$/);
    await expect(page.locator("#user-menu")).toContainText("Ada Admin");

    await page.goto("/admin/audit?action=login");
    const table = page.locator("#audit-table");
    await expect(table).toContainText("login.failed");
    await expect(table).toContainText("admin@example.com");

    await page.locator("#user-menu").getByRole("button", { name: "Sign out" }).click();
    await expect(page).toHaveURL(/\/login$/);
    await page.goto("/");
    await expect(page.locator(".topnav")).toContainText("Sign in");
  });
});
