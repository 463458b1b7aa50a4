/** drizzle-kit's settings for the PostgreSQL store: `npx drizzle-kit generate --config drizzle.postgres.config.ts`. */
import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "postgresql",
  schema: "./stores/postgres/schema.ts",
  out: "./stores/postgres/migrations",
});
