/** `npm run subgraph`: writes subgraph.graphql, the Federation 2 SDL a router composes (`_service { sdl }`
 * of the `FEDERATION=true` schema). test/gateway/federation.test.ts fails when it drifts from the code. */
import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { printSubgraphSchema } from "../src/schema.js";

const target = fileURLToPath(new URL("../subgraph.graphql", import.meta.url));
await writeFile(target, await printSubgraphSchema());
console.log(`wrote ${target}`);
