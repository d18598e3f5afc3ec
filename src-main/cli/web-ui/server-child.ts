/**
 * Entry of the forked embedded server: `src-main/cli/server.ts` plus one rule — when the parent agent dies
 * (even by SIGKILL) the IPC channel closes and the server shuts down cleanly instead of holding its port as an
 * orphan.
 */
process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
await import('../server.js');
