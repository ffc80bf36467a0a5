// ESLint for frontend/: the browser runs these files as they are, with no build step.
// The organisers' page, the petition page's script and the fill() they share are ES
// modules; the widget and the embed's script are classic scripts (the widget needs
// document.currentScript, which modules do not have).
import js from "@eslint/js";
import globals from "globals";

export default [
  // Vendored as published (libsodium, frontend/admin/vendor/): not ours to lint.
  { ignores: ["frontend/admin/vendor/**"] },
  {
    files: ["frontend/**/*.js"],
    ...js.configs.recommended,
    languageOptions: {
      sourceType: "script",
      globals: globals.browser,
    },
    rules: {
      // A classic script shares the page's global scope (a partner's page, for the widget):
      // everything stays inside its closure.
      "no-implicit-globals": "error",
    },
  },
  {
    files: [
      "frontend/admin/**/*.js",
      "frontend/js/fill.js",
      "frontend/js/petition.js",
      "frontend/js/check.js",
    ],
    languageOptions: { sourceType: "module" },
  },
];
