/**
 * `license activate --key K --email E`, `license status [--json] [--offline]`, `license deactivate`.
 * Status validates offline from the certificate and, unless --offline, asks the server too (a server that cannot
 * be reached never fails the command: the certificate decides).
 */
import type { LicenseStatus } from '../../agent/license/license-status.js';
import { UsageError, type AgentCommand } from './command.js';

function describe(s: LicenseStatus): string {
  const lines = [
    `License:     ${s.state}${s.license_key ? ` (${s.license_key})` : ''}`,
    `             ${s.message}`,
  ];
  if (s.email) lines.push(`Email:       ${s.email}`);
  if (s.activated_at) lines.push(`Activated:   ${s.activated_at}`);
  if (s.expires_at)
    lines.push(`Expires:     ${s.expires_at}${s.days_left !== null ? ` (${s.days_left} days left)` : ''}`);
  return lines.join('\n');
}

export const licenseCommand: AgentCommand = {
  name: 'license',
  summary: 'activate, check or deactivate this machine’s license',
  usage:
    'license activate --key KEY --email EMAIL | license status [--json] [--offline] | license deactivate',
  options: {
    key: { type: 'string' },
    email: { type: 'string' },
    offline: { type: 'boolean', default: false },
  },
  allowPositionals: true,
  async run(ctx) {
    const [sub, ...rest] = ctx.positionals;
    if (rest.length > 0) throw new UsageError(`unexpected argument '${rest[0]}'`);
    const out = (s: LicenseStatus) => (ctx.globals.json ? ctx.printJson(s) : ctx.print(describe(s)));
    switch (sub) {
      case 'activate': {
        const key = ctx.values.key;
        const email = ctx.values.email;
        if (typeof key !== 'string' || !key.trim()) throw new UsageError('license activate needs --key KEY');
        if (typeof email !== 'string' || !email.trim())
          throw new UsageError('license activate needs --email EMAIL');
        const agent = await ctx.openAgent();
        out(await agent.license.activate(key, email));
        return 0;
      }
      case 'status': {
        const agent = await ctx.openAgent();
        out(ctx.values.offline === true ? await agent.license.status() : await agent.license.validate());
        return 0;
      }
      case 'deactivate': {
        const agent = await ctx.openAgent();
        const before = await agent.license.status();
        const after = await agent.license.deactivate();
        if (ctx.globals.json) ctx.printJson(after);
        else
          ctx.print(
            before.state === 'none'
              ? 'No license activated: nothing to do.'
              : 'License deactivated on this machine (seat freed).',
          );
        return 0;
      }
      default:
        throw new UsageError(
          sub ? `unknown license command '${sub}'` : 'license needs activate, status or deactivate',
        );
    }
  },
};
