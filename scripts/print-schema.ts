/** `npm run schema`: writes schema.graphql from the TypeGraphQL classes (the drift test compares it). */
import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { printGatewaySchema } from "../src/schema.js";

const target = fileURLToPath(new URL("../schema.graphql", import.meta.url));
await writeFile(target, await printGatewaySchema());
console.log(`wrote ${target}`);
