// `npm run deps`: dependency-cruiser with the rules in .dependency-cruiser.cjs; arguments pass through to it.
//
// Of its parsers only the TypeScript one both reads .tsx and tells `import type` from a runtime import (its swc
// parser does neither in 17.x; dependency-cruiser 18 fixes that but needs Node 22). It needs TypeScript's JS API,
// which typescript@7, our tsc, no longer has: so in this one process `typescript` means the devDependency
// `typescript6` (npm:typescript@6). The package name sorts after `typescript`, so npm's `tsc` link stays 7's.
import Module, { register } from "node:module";

// Without it dependency-cruiser finds no TypeScript, skips every .ts file and passes: fail instead.
import.meta.resolve("typescript6");

const ts6 = (specifier) => specifier.replace(/^typescript(?=\/|$)/, "typescript6");
// dependency-cruiser `require`s typescript/package.json to check the version ...
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return resolveFilename.call(this, ts6(request), ...rest);
};
// ... and then `import()`s typescript.
const hook = `const ts6 = ${ts6}; export const resolve = (specifier, context, next) => next(ts6(specifier), context);`;
register(`data:text/javascript,${encodeURIComponent(hook)}`);

await import(new URL("../node_modules/dependency-cruiser/bin/dependency-cruise.mjs", import.meta.url).href);
// It exits with the number of errors, which the shell takes modulo 256: 256 errors would pass.
if (process.exitCode) process.exitCode = 1;
