/** Export and import files through the page: a download, and the text of a file the user picked. */

export function downloadTextFile(fileName: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  // The download has started from the URL; it is not needed after this task.
  queueMicrotask(() => URL.revokeObjectURL(url));
}
