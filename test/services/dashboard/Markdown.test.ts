import { assert, describe, it } from "@effect/vitest"
import { renderMarkdown } from "../../../src/services/dashboard/Markdown.js"

describe("server-side markdown (A7.8)", () => {
  it("raw HTML is escaped, unsafe links lose their target, images become their alt text", () => {
    const html = renderMarkdown(
      "<script>alert(1)</script>\n\n[x](javascript:alert(1)) [v](vbscript:x) [d](data:text/html,x) [f](file:///etc/passwd) [r](other.md)\n\n" +
        "![i](https://example.com/p.png) ![](data:image/png;base64,AAAA) <img src=x onerror=alert(1)> <a href=\"javascript:x\">y</a>"
    )
    assert.notMatch(html, /<(script|img)\b/i, "no script or image element")
    assert.notMatch(html, /<a\s[^>]*href="(?!https?:\/\/|mailto:|#)/i, "no other link target")
    assert.notMatch(html, /<[^>]*\son\w+=/i, "no event handler attribute")
    assert.include(html, "&lt;script&gt;alert(1)&lt;/script&gt;")
    assert.include(html, "<a>x</a>")
    assert.include(html, "<a>r</a>", "relative links are not kept")
    assert.include(html, "i [image]")
  })

  it("keeps the allowlist: headings, lists, tables, code, emphasis, safe links, blockquote, hr", () => {
    const html = renderMarkdown(
      "# H\n\n- a\n- **b** *c* `d`\n\n| x | y |\n|---|---|\n| 1 | 2 |\n\n```\ncode\n```\n\n> q\n\n---\n\n[h](https://e.org) [m](mailto:a@b.c) [f](#frag)"
    )
    for (const tag of ["<h1>", "<ul>", "<li>", "<strong>", "<em>", "<code>", "<table>", "<td>", "<pre>", "<blockquote>", "<hr />"]) {
      assert.include(html, tag)
    }
    assert.include(html, "<a href=\"https://e.org\" rel=\"noopener noreferrer\">h</a>")
    assert.include(html, "<a href=\"mailto:a@b.c\" rel=\"noopener noreferrer\">m</a>")
    assert.include(html, "<a href=\"#frag\" rel=\"noopener noreferrer\">f</a>")
  })
})
