/** How long the app waits for the relay, the website or the chain, as the CLI does. */
export const WAIT_MS = 20 * 1000;

// Building screens: small helpers that make elements from plain values (never HTML strings), so nothing the
// app shows can inject markup.

/** An element: `el("p", {class: "muted"}, "text", child, ...)`; `on*` attributes become listeners. */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (value === true) node.setAttribute(name, "");
    else node.setAttribute(name, value);
  }
  node.append(...children.flat().filter((c) => c !== undefined && c !== null && c !== false));
  return node;
}

/** Replaces the screen with `children`, focusing its heading for screen readers. */
export function show(...children) {
  const screen = document.getElementById("screen");
  screen.replaceChildren(...children.flat().filter((c) => c !== undefined && c !== null && c !== false));
  screen.querySelector("h1")?.setAttribute("tabindex", "-1");
  screen.querySelector("h1")?.focus({ preventScroll: true });
  window.scrollTo(0, 0);
}

/** A labelled field; returns [wrapper, input]. */
export function field(label, attributes = {}) {
  const id = `f-${Math.random().toString(36).slice(2)}`;
  const input = el(attributes.rows ? "textarea" : "input", { id, ...attributes });
  return [el("div", { class: "field" }, el("label", { for: id }, label), input), input];
}

/** Label and value pairs as a definition list. */
export function facts(pairs) {
  return el("dl", { class: "facts" }, pairs.flatMap(([label, value]) => [el("dt", {}, label), el("dd", {}, value)]));
}

/** A paragraph for an error, read out at once. */
export function alert(message) {
  return el("p", { class: "alert", role: "alert" }, message);
}

/**
 * Runs `work` with `button` disabled and `busy` text on it (long work says so), then restores it; an error
 * is shown in `errors` (an element) as a sentence.
 */
export async function busy(button, text, errors, work) {
  const label = button.textContent;
  button.disabled = true;
  button.textContent = text;
  errors.replaceChildren();
  await new Promise((resolve) => setTimeout(resolve, 30));
  try {
    return await work();
  } catch (error) {
    errors.replaceChildren(alert(messageOf(error)));
    return undefined;
  } finally {
    button.disabled = false;
    button.textContent = label;
  }
}

/** A thrown value's sentence: the core's errors are already written for the person. */
export function messageOf(error) {
  if (error?.name === "NotAllowedError") return "The passkey request was cancelled or timed out: try again.";
  if (error?.name === "SecurityError") return `Passkeys need this app served from its domain name over HTTPS (${error.message}): open it from the website's address, or use a passphrase.`;
  return error?.message ?? String(error);
}

/** `promise`, or an Error saying `what` did not answer within `ms` (the browser's fetch has no timeout). */
export function within(ms, what, promise) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms / 1000} s: check your connection and try again.`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
