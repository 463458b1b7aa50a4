/** drizzle-kit's settings: `npx drizzle-kit generate` writes migrations for stores/sqlite/schema.ts. */
import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  schema: "./stores/sqlite/schema.ts",
  out: "./stores/sqlite/migrations",
});
