// The pack's entry for the Pulumi CLI. @pulumi/pulumi's run-policy-pack `require()`s the
// package's main and always registers ts-node, which cannot load this ESM TypeScript (nor
// honours PulumiPolicy.yaml runtime options). So the pack loads the way the repo's program
// does: through tsx, which resolves the `.js` specifiers to the `.ts` sources.
const { register } = require("tsx/esm/api");

register();
module.exports = import("./index.ts");
