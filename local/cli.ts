/**
 * `npm run local -- up|down|status [server...]`: the platform's backing servers on 127.0.0.1,
 * installed and started by the project itself. `up` is idempotent; `down` stops only what
 * this checkout started.
 */
import { selectServers, startServers } from "./servers.js";

const usage =
  "usage: npm run local -- up|down|status [postgres|redis|kafka|opensearch|collector|prometheus ...]";

async function main([command, ...names]: string[]): Promise<number> {
  const servers = selectServers(names);
  switch (command) {
    case "up": {
      const env = await startServers(servers);
      for (const [key, value] of Object.entries(env)) console.log(`${key}=${value}`);
      return 0;
    }
    case "down":
      for (const server of [...servers].reverse()) {
        console.log(`${server.name}: ${(await server.stop()) ? "stopped" : "was not running"}`);
      }
      return 0;
    case "status":
      for (const server of servers) {
        const pid = server.pid();
        const state =
          pid === undefined
            ? "stopped"
            : (await server.healthy())
              ? `running (pid ${pid})`
              : `unhealthy (pid ${pid})`;
        console.log(`${server.name}: ${state}`);
      }
      return 0;
    default:
      console.error(usage);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error((err as Error).message);
    process.exit(1);
  },
);
