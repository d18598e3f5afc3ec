/** The one message the shell sends to the embedded server's utilityProcess (see server-process.ts). */
export const SHUTDOWN_REQUEST = { type: 'outpost:shutdown' } as const;
