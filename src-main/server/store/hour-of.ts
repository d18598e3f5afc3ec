/** The hour an ISO time falls in, as ISO (`2026-12-02T16:00:00.000Z`): the bucket of the heartbeat counts. */
export function hourOf(iso: string): string {
  return `${iso.slice(0, 13)}:00:00.000Z`;
}
