// Building the page: elements, the view they go in, and short notices.

/** Whether a child or attribute is there at all: null, undefined and false are left out. */
const present = (value) => value !== null && value !== undefined && value !== false;

/** Build an element; children may be strings (always inserted as text, never as HTML). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (!present(value)) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    // Through CSSOM: the page's Content-Security-Policy refuses style attributes.
    else if (key === "style") el.style.cssText = value;
    else el.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (present(child)) el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** Replace the page's content; like h(), skipping empty children and flattening lists. */
export const show = (...children) =>
  document.getElementById("view").replaceChildren(...children.flat(Infinity).filter(present));

let toastTimer;

/** Say something briefly at the bottom of the page. */
export function toast(message) {
  const el = document.getElementById("toast");
  el.textContent = message;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (el.hidden = true), 4000);
}

/**
 * A wide table in a box that scrolls sideways on a narrow screen, rather than the whole page.
 * The box takes the keyboard focus (and is named), so it can be scrolled without a mouse.
 */
export const scrolling = (label, table) =>
  h("div", { class: "scroll", tabindex: 0, role: "region", "aria-label": label }, table);
