/**
 * Imported first by the full-stack renderer tests: jsdom's XMLHttpRequest would make axios (loaded by the real
 * agent in the same process) send the agent's requests through jsdom with browser CORS rules. The agent runs
 * in Node in production, so it gets Node's HTTP adapter here too.
 */
delete (globalThis as { XMLHttpRequest?: unknown }).XMLHttpRequest;
