// A SQLite file judged by its first bytes, before sql.js reads a page: the
// cheap check every load makes (a full PRAGMA quick_check reads every page).
/**
 * What can be told from the bytes alone, before SQLite reads a page: the
 * magic, a sane page size, and a file at least as long as its header says
 * (the one damage an atomically replaced file realistically suffers is being
 * cut short: a full disk, a partial copy). Returns why not, or null.
 */
export function structuralProblem(bytes: Uint8Array): string | null {
  if (bytes.length === 0) return null; // SQLite treats an empty file as an empty database
  if (bytes.length < 100) return `only ${bytes.length} bytes, shorter than a SQLite header`;
  const magic = 'SQLite format 3\u0000';
  for (let i = 0; i < magic.length; i++) {
    if (bytes[i] !== magic.charCodeAt(i)) return 'file is not a database (no SQLite header)';
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const rawPageSize = view.getUint16(16);
  const pageSize = rawPageSize === 1 ? 65536 : rawPageSize;
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) return `invalid page size ${rawPageSize}`;
  // the in-header page count is valid when the change counter matches version-valid-for
  const pages = view.getUint32(28);
  if (pages > 0 && view.getUint32(24) === view.getUint32(92) && bytes.length < pages * pageSize) {
    return `database disk image is malformed: truncated to ${bytes.length} of ${pages * pageSize} bytes`;
  }
  return null;
}
