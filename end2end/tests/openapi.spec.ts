import { expect, test } from "../fixtures";
import { Validator } from "@seriousme/openapi-schema-validator";

// The served document validates against the OpenAPI 3.1 schema, and every path
// parameter is declared (which the schema alone does not check).
test("the OpenAPI document is valid 3.1 and declares its path parameters", async ({ request, javaScriptEnabled }) => {
  test.skip(!javaScriptEnabled, "one run is enough: no page involved");
  const response = await request.get("/api/v1/openapi.json");
  expect(response.status()).toBe(200);
  const doc = await response.json();
  const validator = new Validator();
  const result = await validator.validate(doc);
  expect(result.errors ?? [], JSON.stringify(result.errors, null, 2)).toEqual([]);
  expect(result.valid).toBe(true);
  expect(validator.version).toBe("3.1");

  for (const [path, operations] of Object.entries<Record<string, any>>(doc.paths)) {
    const names = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
    for (const [method, operation] of Object.entries<any>(operations)) {
      const declared = (operation.parameters ?? []).filter((p: any) => p.in === "path").map((p: any) => p.name);
      expect(declared.sort(), `${method} ${path}`).toEqual([...names].sort());
    }
  }
});
