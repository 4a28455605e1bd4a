/**
 * Debian's chromium driven by playwright-core (no browser download). A missing chromium fails the
 * test that needs it: CI installs it (`.ci/run`), and a browser test that skips proves nothing.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { chromium } from "playwright-core"
import type { BrowserContext } from "playwright-core"
import { makeTemp, removeTemp } from "./repo.js"

/** Where Debian installs chromium. */
export const CHROMIUM = "/usr/bin/chromium"

/** A headless chromium with a fresh profile; `close` removes the profile. */
export const launchChromium = async (options: { colorScheme?: "light" | "dark" } = {}): Promise<{
  readonly context: BrowserContext
  readonly close: () => Promise<void>
}> => {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium); .ci/run does`)
  }
  const profile = makeTemp("kittyctx-chromium-")
  const context = await chromium.launchPersistentContext(path.join(profile, "profile"), {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync"
    ],
    viewport: { width: 1400, height: 900 },
    colorScheme: options.colorScheme ?? "light"
  })
  return {
    context,
    close: async () => {
      await context.close().catch(() => undefined)
      removeTemp(profile)
    }
  }
}
