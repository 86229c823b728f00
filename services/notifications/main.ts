import { runService } from "../runtime/run-service.js";
import { definition } from "./server.js";

await runService(definition);
