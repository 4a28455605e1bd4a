/**
 * Markdown to safe HTML on the server (docs/surfaces.md §7.3): `markdown-it` with raw HTML escaped,
 * then `sanitize-html` with an allowlist (headings, paragraphs, lists, tables, code, emphasis, links,
 * blockquote, hr). Links keep only `http`, `https`, `mailto` and `#fragment` targets and get
 * `rel="noopener noreferrer"`; images are never fetched: each is replaced by its alt text. Both
 * libraries are bundled; nothing is loaded from the network.
 */
import MarkdownIt from "markdown-it"
import sanitizeHtml from "sanitize-html"

const md = new MarkdownIt({ html: false, linkify: false, typographer: false })
// every link target parses as a link; the sanitiser below then keeps only safe targets, so an unsafe one
// becomes plain link text instead of markdown source that still spells out its URL
md.validateLink = () => true

// an image becomes its alt text (escaped): no request can leave the page for it
md.renderer.rules.image = (tokens, idx, _options, env, self) => {
  const token = tokens[idx]
  const alt = self.renderInlineAsText(token.children ?? [], md.options, env)
  return md.utils.escapeHtml(alt === "" ? "[image]" : alt)
}

const SAFE_HREF = /^(?:https?:\/\/|mailto:|#)/i

const ALLOWED_TAGS = [
  "h1", "h2", "h3", "h4", "h5", "h6",
  "p", "br", "ul", "ol", "li",
  "table", "thead", "tbody", "tr", "th", "td",
  "code", "pre", "em", "strong", "del", "s",
  "a", "blockquote", "hr"
]

const SANITIZE: sanitizeHtml.IOptions = {
  allowedTags: ALLOWED_TAGS,
  allowedAttributes: { a: ["href", "rel"], ol: ["start"], th: ["align"], td: ["align"] },
  allowedSchemes: ["http", "https", "mailto"],
  allowedSchemesAppliedToAttributes: ["href"],
  allowProtocolRelative: false,
  disallowedTagsMode: "escape",
  transformTags: {
    a: (tagName, attribs) => {
      const href = attribs.href ?? ""
      return SAFE_HREF.test(href.trim())
        ? { tagName, attribs: { href: href.trim(), rel: "noopener noreferrer" } }
        : { tagName, attribs: {} }
    }
  }
}

/** Sanitised HTML of a markdown text. */
export const renderMarkdown = (source: string): string => sanitizeHtml(md.render(source), SANITIZE)
