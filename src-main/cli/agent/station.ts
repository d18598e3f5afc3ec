/**
 * `station reset --confirm`: the one explicit way to give up a station database that cannot be opened (missing,
 * empty, unreadable, another station's). The old files are set aside under a dated name, never deleted, and the
 * stored login is dropped (it names the old device id); the next start creates an empty station with a new id.
 * It works without opening the agent, since opening is exactly what fails.
 */
import { openSecretStore, SECRET_ACCOUNTS } from '../../agent/secrets/secret-store.js';
import { resetStation } from '../../agent/station/station-db.js';
import { UsageError, type AgentCommand } from './command.js';

export const stationCommand: AgentCommand = {
  name: 'station',
  summary:
    'station maintenance: `station reset --confirm` starts over with an empty queue and a new device id',
  usage: 'station reset --confirm',
  options: { confirm: { type: 'boolean', default: false } },
  allowPositionals: true,
  async run(ctx) {
    const [sub, ...rest] = ctx.positionals;
    if (rest.length > 0) throw new UsageError(`unexpected argument '${rest[0]}'`);
    if (sub !== 'reset')
      throw new UsageError(sub ? `unknown station command '${sub}'` : 'station needs reset');
    if (ctx.values.confirm !== true) {
      throw new UsageError(
        'station reset discards the unsynced copies of this station and gives it a new device id: ' +
          'add --confirm to do it (the old station.db is kept aside, not deleted)',
      );
    }
    const secrets = await openSecretStore({
      dataDir: ctx.globals.dataDir,
      secretsFile: ctx.globals.secretsFile,
      service: ctx.globals.keyringService,
    });
    const r = resetStation(ctx.globals.dataDir);
    await secrets.delete(SECRET_ACCOUNTS.jwt);
    if (ctx.globals.json) ctx.printJson({ ok: true, previous_device_id: r.previousId, moved_to: r.movedTo });
    else {
      ctx.print(
        r.movedTo.length > 0
          ? `Station reset: old database kept as ${r.movedTo[0]}.`
          : 'Station reset: there was no station.db to set aside.',
      );
      ctx.print('The next start creates an empty station with a new device id; log in again (`login`).');
    }
    return 0;
  },
};
