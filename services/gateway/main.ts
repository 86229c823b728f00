import { startGateway } from "./server.js";

await startGateway();
