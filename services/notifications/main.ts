import { serviceMain } from "../runtime/run-service.js";
import { definition } from "./server.js";

// `node main.mjs migrate` applies the migrations as the database owner and exits; otherwise it serves.
await serviceMain(definition);
