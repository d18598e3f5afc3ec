/**
 * Saves text as a file through the browser's own download (the headless web UI; Electron asks where to save),
 * so a CSV with tokens never passes through a server or a log.
 */
export function downloadText(name: string, text: string, type = 'text/csv'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
