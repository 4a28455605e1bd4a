import { launchChromium } from "/work/wt/dashboard/test/support/browser.ts"
const b = await launchChromium({ colorScheme: process.argv[2] as any })
const page = await b.context.newPage()
page.on("console", (m) => console.log("console:", m.text()))
page.on("pageerror", (e) => console.log("pageerror:", e.message))
await page.goto(process.argv[3])
await page.waitForTimeout(1500)
await page.screenshot({ path: process.argv[4], fullPage: true })
await b.close()
