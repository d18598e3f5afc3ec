/**
 * Entry of the embedded server inside the desktop app's utilityProcess: the server CLI plus a stop request over
 * `process.parentPort`. `utilityProcess.kill()` is a hard TerminateProcess on Windows and a utilityProcess never
 * sees 'disconnect', so the shell asks instead; the CLI's own SIGTERM path (stop accepting, finish in-flight
 * requests, close the database, exit 0) does the rest on every OS. The shell keeps kill() as a timed fallback.
 */
import { SHUTDOWN_REQUEST } from './server-messages.js';

interface ParentMessage {
  data?: unknown;
}

function isShutdown(data: unknown): boolean {
  return (
    typeof data === 'object' && data !== null && (data as { type?: unknown }).type === SHUTDOWN_REQUEST.type
  );
}

// parentPort exists only inside a utilityProcess; the same file run by plain Node just starts the server.
const port = (process as { parentPort?: { on(event: 'message', fn: (m: ParentMessage) => void): void } })
  .parentPort;
port?.on('message', (message) => {
  // Emitting the event (rather than process.kill) reaches the CLI's handler on Windows too, where signals to
  // oneself are not delivered as events.
  if (isShutdown(message.data)) process.emit('SIGTERM', 'SIGTERM');
});

await import('../cli/server.js');
