/**
 * The page a browser gets from the web UI without a valid per-launch token: an old bookmark, a link from an
 * earlier start, the bare address typed by hand. It names the command the operator actually ran (so they know
 * which terminal to look at) and uses the app's colours and type, so it reads as part of Outpost rather than as
 * a server error. Its only style is inline, allowed by that one stylesheet's hash and nothing else.
 */
import { createHash } from 'node:crypto';

const STYLE = `:root{--bg:#f4f6f8;--card:#fff;--text:#1b1f24;--muted:#57606a;--border:#d0d7de;--accent:#0b5cad;
font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;line-height:1.45;color:var(--text);background:var(--bg)}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--card:#161b22;--text:#e6edf3;--muted:#9198a1;--border:#30363d}}
body{margin:0}.topbar{background:var(--card);border-bottom:1px solid var(--border);padding:.75rem 1rem}
h1{font-size:1.25rem;margin:0}main{max-width:40rem;margin:2rem auto;padding:0 1rem}
.card{background:var(--card);border:1px solid var(--border);border-radius:.5rem;padding:1.25rem}
h2{font-size:1.4rem;margin:0 0 .75rem}code{font-family:ui-monospace,'DejaVu Sans Mono',Consolas,monospace;
background:var(--bg);border:1px solid var(--border);border-radius:.25rem;padding:0 .25rem;overflow-wrap:anywhere}
.muted{color:var(--muted)}`;

const STYLE_HASH = `'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`;

/** CSP of the page: nothing but its own inline stylesheet. */
export const NO_TOKEN_CSP = `default-src 'none'; style-src ${STYLE_HASH}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The command that started this process, as the operator typed it: `npm start`, `npm run agent -- --ui`, or the
 * bundled agent's own name.
 */
export function launchCommand(env: NodeJS.ProcessEnv = process.env): string {
  switch (env.npm_lifecycle_event) {
    case 'start':
      return 'npm start';
    case 'agent':
      return 'npm run agent -- --ui';
    default:
      return env.OUTPOST_LAUNCH_COMMAND?.trim() || 'outpost-agent --ui';
  }
}

export function noTokenPage(opts: { command: string; wrongToken: boolean }): string {
  const cmd = escapeHtml(opts.command);
  const lead = opts.wrongToken
    ? 'This link carries a token from another start of Outpost: every start prints a new one.'
    : 'This address needs the link with its one-time token, which Outpost prints when it starts.';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Open the link from the terminal — Outpost</title><style>${STYLE}</style></head>
<body><header class="topbar"><h1>Outpost</h1></header>
<main><section class="card" aria-labelledby="t"><h2 id="t">Open the link from the terminal</h2>
<p>${lead}</p>
<p>Look in the terminal where you ran <code data-testid="launch-command">${cmd}</code> for the line starting with
<code>Outpost web UI:</code> and open that link (it ends in <code>?token=…</code>).</p>
<p class="muted">The token keeps other programs and web pages on this machine out of the agent. Once opened, the
link is traded for a cookie and this browser stays signed in until Outpost restarts.</p></section></main></body></html>
`;
}
