// ESLint for web/: the recommended rules, for ES modules in four execution contexts, each with
// only its own globals, so a page-only name (document, window) used in a worker is an error:
// page/ (the page), worker/ (the Python workers), sw.js (the service worker), and shared/ (both
// sides: only what page and worker have in common); testing/ has one file for each side.
import js from "@eslint/js";
import globals from "globals";

const common = Object.fromEntries(Object.keys(globals.worker).filter((name) => name in globals.browser)
  .map((name) => [name, globals.worker[name]]));
const context = (files, contextGlobals) => ({ files, languageOptions: { globals: contextGlobals } });

export default [
  js.configs.recommended,
  {
    files: ["**/*.js"],
    languageOptions: { ecmaVersion: 2024, sourceType: "module" },
    linterOptions: { reportUnusedDisableDirectives: "error" },
  },
  context(["**/page/**/*.js", "**/testing/testhooks.js"], globals.browser),
  context(["**/worker/**/*.js", "**/testing/worker-seams.js"], globals.worker),
  context(["**/sw.js"], globals.serviceworker),
  context(["**/shared/**/*.js"], common),
];
