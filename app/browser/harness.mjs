// What the app's browser stories share: Debian's Chromium with a phone profile, screenshots, and the
// checks every screen gets.

import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { devices } from "playwright-core";

export const appUrl = process.env.APP_URL;
const shots = process.env.SHOTS;
mkdirSync(shots, { recursive: true });

export const ANVIL_WORDS = "test test test test test test test test test test test junk";

/** Chromium's flags for a quiet headless run. */
export const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

/** Playwright's options for `profile` ("pixel-7" or "iphone-15"), without its browser type. */
export function phone(profile) {
  const { defaultBrowserType: _, ...options } = devices[profile === "pixel-7" ? "Pixel 7" : "iPhone 15"];
  return options;
}

export function expect(condition, message) {
  if (!condition) throw new Error(message);
}

export async function shot(page, profile, step) {
  await page.screenshot({ path: join(shots, `${profile}-${step}.png`), fullPage: true });
}

/** Fails when the screen is wider than the phone's (a mobile browser widens its layout viewport to fit). */
export async function fitsWidth(page, what) {
  const [scroll, width] = await page.evaluate(() => [document.documentElement.scrollWidth, Math.min(window.innerWidth, screen.width)]);
  expect(scroll <= width + 1, `${what} is ${scroll}px wide in a ${width}px viewport`);
}

export async function heading(page, name, timeout = 15000) {
  await page.getByRole("heading", { level: 1, name, exact: true }).waitFor({ timeout });
}

/** Runs `work` on `page`; on failure, a screenshot and what the page showed and logged. */
export async function watched(page, profile, work) {
  const logged = [];
  page.on("console", (m) => m.type() === "error" && logged.push(m.text()));
  page.on("pageerror", (e) => logged.push(e.message));
  try {
    await work();
  } catch (error) {
    await shot(page, profile, "failed").catch(() => {});
    const alerts = await page.getByRole("alert").allTextContents().catch(() => []);
    throw new Error(`${profile}: ${error.message}\non screen: ${alerts.join(" | ")}\nlogged: ${logged.join(" | ")}`);
  }
}
