import { runService } from "../runtime/service.js";
import { definition } from "./server.js";

await runService(definition);
