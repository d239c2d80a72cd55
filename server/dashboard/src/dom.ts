/** The page's element with this id; the page and this script ship together, so a missing one is a bug. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`The dashboard page has no #${id}.`);
  return found as T;
}

/** Appends a cell with a class (for styling and for tests) and plain text (never HTML). */
export function addCell(row: HTMLTableRowElement, className: string, text: string): HTMLTableCellElement {
  const cell = row.insertCell();
  cell.className = className;
  cell.textContent = text;
  return cell;
}

/** Restarts a CSS animation class on an element (a tick flash), even when it is still running. */
export function flash(element: HTMLElement, className: string, others: readonly string[]): void {
  element.classList.remove(className, ...others);
  void element.offsetWidth;
  element.classList.add(className);
}

/** A table body's rows, replaced at once; `empty` is shown in one cell when there is nothing. */
export function fillRows(body: HTMLTableSectionElement, rows: HTMLTableRowElement[], empty: string, columns: number): void {
  if (rows.length > 0) {
    body.replaceChildren(...rows);
    return;
  }
  const row = document.createElement('tr');
  addCell(row, 'empty', empty).colSpan = columns;
  body.replaceChildren(row);
}
