/**
 * The app's table. Wide screens get an ordinary table (scrolling inside itself if a column is very long); below
 * 40rem the stylesheet stacks each row into a card with each cell under its column's name, so a 390 px phone or
 * kiosk never scrolls the page sideways and every action button stays in reach. The column names come from the
 * table's own header, copied onto the cells after each render, so pages keep writing plain <th>/<td>.
 */
import { useLayoutEffect, useRef, type TableHTMLAttributes } from 'react';

export function DataTable({ className, children, ...rest }: TableHTMLAttributes<HTMLTableElement>) {
  const ref = useRef<HTMLTableElement>(null);
  useLayoutEffect(() => {
    const table = ref.current;
    const head = table?.tHead?.rows[0];
    if (!table || !head) return;
    const names = [...head.cells].map((c) => c.textContent?.trim() ?? '');
    for (const body of table.tBodies) {
      for (const row of body.rows) {
        [...row.cells].forEach((cell, i) => {
          const name = names[i];
          if (name && cell.dataset.label !== name) cell.dataset.label = name;
        });
      }
    }
  });
  return (
    <table ref={ref} className={`table table-stack${className ? ` ${className}` : ''}`} {...rest}>
      {children}
    </table>
  );
}
