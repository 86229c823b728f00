import { runService } from "../runtime/run-service.js";
import { reindexMain } from "./reindexing.js";
import { definition } from "./server.js";

// `node main.mjs reindex` rebuilds the index from the catalog and exits; otherwise it serves.
if (process.argv[2] === "reindex") await reindexMain();
else await runService(definition);
