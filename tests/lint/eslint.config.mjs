// ESLint for web/: the recommended rules, for ES modules that run in the page, in workers and in
// the service worker (each file's own globals are the browser's, a worker's or a service worker's).
import js from "@eslint/js";
import globals from "globals";

export default [
  js.configs.recommended,
  {
    files: ["**/*.js"],
    languageOptions: {
      ecmaVersion: 2024,
      sourceType: "module",
      globals: { ...globals.browser, ...globals.worker, ...globals.serviceworker },
    },
    linterOptions: { reportUnusedDisableDirectives: "error" },
  },
];
