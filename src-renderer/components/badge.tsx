/** A colour-coded status pill; the text carries the meaning, colour only repeats it. */
export function Badge({
  tone,
  children,
}: {
  tone: 'ok' | 'bad' | 'warn' | 'neutral';
  children: React.ReactNode;
}) {
  return <span className={`badge badge-${tone}`}>{children}</span>;
}
