/**
 * `npm run docs:architecture`: regenerates the architecture diagram in README.md from the
 * service registry. A test fails when the README's copy is out of date.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadServiceRegistry } from "../services/registry.js";
import { architectureDiagram, withDiagram } from "./architecture/diagram.js";

const readme = join(import.meta.dirname, "..", "README.md");
const updated = withDiagram(readFileSync(readme, "utf8"), architectureDiagram(await loadServiceRegistry()));
writeFileSync(readme, updated);
console.log("README.md: architecture diagram regenerated from the service registry");
