/**
 * "Stop the server, start it again" for the offline test: the agent keeps its configured URL, so the second
 * start must bind the same port and reuse the data dir. startTestServer always binds port 0, hence this thin
 * wrapper over the same runner with the same test env (TEST_API_KEY, TEST_ADMIN).
 */
import { startServer, type RunningServer } from '../../../src-main/server/runner.js';
import { TEST_ADMIN, TEST_API_KEY } from '../../helpers/server.js';

export async function startServerOnPort(dataDir: string, port: number): Promise<RunningServer> {
  return startServer({
    host: '127.0.0.1',
    port,
    dataDir,
    env: {
      OUTPOST_API_KEYS: TEST_API_KEY,
      OUTPOST_ADMIN_USER: TEST_ADMIN.username,
      OUTPOST_ADMIN_PASSWORD: TEST_ADMIN.password,
      OUTPOST_RATE_LIMIT_PER_MIN: '10000',
    },
  });
}
