import { Readable } from 'node:stream';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { AuditListResponse, AuditQuery, type AuditEvent } from '../../../src-shared/api/audit.js';
import { AUDIT_CSV_HEADER, auditCsvRow } from '../audit/csv.js';
import { ADMIN_SECURITY } from '../auth/admin-access.js';
import type { ServerContext } from '../context.js';
import type { AuditFilter, AuditRecord, AuditRepo } from '../store/audit-repo.js';

const view = (r: AuditRecord): AuditEvent => ({
  id: r.id,
  at: r.at,
  actor: r.actor,
  ip: r.ip,
  action: r.action,
  target: r.target,
  details: r.details,
});

/** Rows per store read while exporting: memory stays flat however long the trail is. */
const CSV_BATCH = 500;

async function* csvLines(repo: AuditRepo, filter: AuditFilter): AsyncGenerator<string> {
  yield AUDIT_CSV_HEADER;
  let before: number | null = null;
  for (;;) {
    const rows = await repo.after(filter, before, CSV_BATCH);
    if (rows.length === 0) return;
    yield rows.map((r) => auditCsvRow(view(r))).join('');
    if (rows.length < CSV_BATCH) return;
    before = rows[rows.length - 1]!.id;
  }
}

/** `GET /api/admin/audit`: the trail, newest first, filtered; `Accept: text/csv` streams the whole filter. */
export const auditPlugin: FastifyPluginAsync<{ ctx: ServerContext }> = async (app, { ctx }) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/api/admin/audit',
    {
      onRequest: ctx.adminGuard,
      config: { access: 'view' },
      schema: {
        tags: ['admin'],
        security: ADMIN_SECURITY,
        querystring: AuditQuery,
        response: { 200: AuditListResponse },
      },
    },
    async (request, reply) => {
      const q = request.query;
      const filter: AuditFilter = {
        action: q.action || undefined,
        actor: q.actor || undefined,
        since: q.since ? new Date(q.since).toISOString() : undefined,
      };
      if (/\btext\/csv\b/i.test(request.headers.accept ?? '')) {
        // The JSON schema describes the envelope; the CSV is a stream of text, which the untyped reply sends.
        const csv: FastifyReply = reply;
        return csv
          .type('text/csv; charset=utf-8')
          .header('content-disposition', 'attachment; filename="audit.csv"')
          .send(Readable.from(csvLines(ctx.store.audit, filter)));
      }
      const { rows, total } = await ctx.store.audit.list(filter, {
        limit: q.limit,
        offset: (q.page - 1) * q.limit,
      });
      return {
        success: true as const,
        data: {
          events: rows.map(view),
          pagination: { page: q.page, limit: q.limit, total, totalPages: Math.ceil(total / q.limit) },
        },
      };
    },
  );
};
