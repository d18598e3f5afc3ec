/**
 * Wire details of the headless web bridge, shared by its server (src-main/cli/web-ui) and its browser client
 * (web-bridge-transport.ts). The per-launch token arrives once in the printed URL (`?token=`); the server
 * trades it for an HttpOnly SameSite=Strict cookie and redirects to the bare URL. Non-browser clients may send
 * the token in the header instead.
 */
export const BRIDGE_INVOKE_PATH = '/bridge/invoke/';
export const BRIDGE_EVENTS_PATH = '/bridge/events';
export const BRIDGE_TOKEN_HEADER = 'x-outpost-token';
export const BRIDGE_TOKEN_QUERY = 'token';
/** Cookies are per host, not per port: two agents on one machine must not overwrite each other's. */
export const bridgeCookieName = (port: number): string => `outpost_bridge_${port}`;
/** Shell state (start-up, one-time admin credentials, the secret-store choice): POST <path><action>. */
export const BRIDGE_SHELL_PATH = '/bridge/shell/';
export const BRIDGE_SHELL_ACTIONS = ['state', 'dismiss-admin-notice', 'use-secrets-file'] as const;
export type BridgeShellAction = (typeof BRIDGE_SHELL_ACTIONS)[number];
/** Shell changes ride the event socket as `{ shell: ShellState }` frames (agent events never have that key). */
export const BRIDGE_SHELL_FRAME_KEY = 'shell';
