import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    environment: "jsdom",
    include: ["test/**/*.test.{ts,tsx}"],
    testTimeout: 10_000,
    // Let `import css from "./styles.css?raw"` give the stylesheet text (vitest blanks CSS by default).
    css: { include: [/styles\.css/, /elements\.css/] },
  },
});
