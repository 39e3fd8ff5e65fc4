import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    // Test files load graphql's ESM build while type-graphql (in node_modules) loads the CJS one;
    // two copies of graphql make schema objects "from another realm". Pin the CJS entry for both.
    alias: [{ find: /^graphql$/, replacement: "graphql/index.js" }],
  },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: "forks",
  },
});
