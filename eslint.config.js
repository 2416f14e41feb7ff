// ESLint flat config for the browser code in web/static (no build step: what is linted is what is
// served). The widget is native ES modules (web/static/widget/); console.js and portal.js are classic
// scripts. Run by `make lint`: npx --no-install eslint web/static
"use strict";

const js = require("@eslint/js");
const globals = require("globals");

module.exports = [
  {
    files: ["web/static/**/*.js"],
    ...js.configs.recommended,
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "script",
      globals: { ...globals.browser },
    },
    rules: {
      ...js.configs.recommended.rules,
      "no-unused-vars": ["error", { args: "after-used", caughtErrors: "none" }],
      eqeqeq: ["error", "always", { null: "ignore" }],
      "no-implicit-globals": "error",
      "prefer-const": "error",
    },
  },
  {
    files: ["web/static/widget/**/*.js"],
    languageOptions: { sourceType: "module" },
  },
];
