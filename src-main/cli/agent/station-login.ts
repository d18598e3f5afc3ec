import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import type { AgentCommand } from './command.js';
import { UsageError } from './command.js';

/**
 * Asks for the missing credentials on one readline interface (a piped stdin is read once, so two interfaces
 * would lose the second line); the password is not echoed on a terminal.
 */
async function askCredentials(need: {
  username: boolean;
  password: boolean;
}): Promise<{ username?: string; password?: string }> {
  let muted = false;
  const out = new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (!muted) process.stdout.write(chunk);
      cb();
    },
  });
  const rl = createInterface({ input: process.stdin, output: out, terminal: process.stdin.isTTY === true });
  // The async iterator buffers lines, so a piped "user\npassword\n" is not lost between questions.
  const lines = rl[Symbol.asyncIterator]();
  const ask = async (q: string, hidden: boolean): Promise<string> => {
    process.stdout.write(q);
    muted = hidden;
    const next = await lines.next();
    muted = false;
    if (hidden && process.stdin.isTTY) process.stdout.write('\n');
    if (next.done)
      throw new UsageError(
        'login needs --username and --password (stdin closed before the prompt was answered)',
      );
    return next.value;
  };
  try {
    const username = need.username ? (await ask('Username: ', false)).trim() : undefined;
    const password = need.password ? await ask('Password: ', true) : undefined;
    return { username, password };
  } finally {
    rl.close();
  }
}

export const loginCommand: AgentCommand = {
  name: 'login',
  summary: 'log the copy station in (JWT kept in the keyring)',
  usage:
    'login [--username U] [--password P]   (prompts for what is missing; prefer the prompt for the password)',
  options: { username: { type: 'string' }, password: { type: 'string' } },
  async run(ctx) {
    let username = typeof ctx.values.username === 'string' ? ctx.values.username : '';
    let password = typeof ctx.values.password === 'string' ? ctx.values.password : '';
    if (!username || !password) {
      const answers = await askCredentials({ username: !username, password: !password });
      username ||= answers.username ?? '';
      password ||= answers.password ?? '';
    }
    if (!username || !password)
      throw new UsageError('login needs --username and --password (or answers at the prompt)');
    const agent = await ctx.openAgent();
    const { user } = await agent.station.login(username, password);
    if (ctx.globals.json) ctx.printJson({ ok: true, user });
    else
      ctx.print(
        `Logged in as ${user.username} (${user.role}) on ${agent.settings.activeProfile().base_url}.`,
      );
    return 0;
  },
};
