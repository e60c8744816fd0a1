//! Lesson text: Markdown rendered to HTML with raw HTML escaped and only safe link targets kept, so a lesson file
//! can never put a script, an event handler or a `javascript:` link into the page.

use pulldown_cmark::{html, CowStr, Event, Options, Parser, Tag};

fn safe_url(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    lower.starts_with("https://")
        || lower.starts_with("http://")
        || lower.starts_with('#')
        || lower.starts_with('/')
        || !lower.contains(':')
}

/// Renders lesson Markdown to HTML that is safe to insert into the page.
pub fn render_markdown(text: &str) -> String {
    let parser = Parser::new_ext(text, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH);
    let events = parser.map(|event| match event {
        // Raw HTML is shown as text, never interpreted.
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        Event::Start(Tag::Link { link_type, dest_url, title, id }) if !safe_url(&dest_url) => {
            Event::Start(Tag::Link { link_type, dest_url: CowStr::Borrowed("#"), title, id })
        }
        // Images could load anything from anywhere: lessons show their alt text instead.
        Event::Start(Tag::Image { .. }) => Event::Start(Tag::Emphasis),
        Event::End(pulldown_cmark::TagEnd::Image) => Event::End(pulldown_cmark::TagEnd::Emphasis),
        other => other,
    });
    let mut out = String::new();
    html::push_html(&mut out, events);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_renders() {
        assert_eq!(
            render_markdown("Hello **ada** `db.users`"),
            "<p>Hello <strong>ada</strong> <code>db.users</code></p>\n"
        );
        assert!(
            render_markdown("[docs](https://www.mongodb.com/docs/)").contains("href=\"https://www.mongodb.com/docs/\"")
        );
    }

    #[test]
    fn no_raw_html_scripts_handlers_or_javascript_links_get_through() {
        let hostile = [
            "<script>alert(1)</script>",
            "text <img src=x onerror=alert(1)> more",
            "[click](javascript:alert(1))",
            "[click](JaVaScRiPt:alert(1))",
            "![x](https://evil.example/x.png)",
            "<iframe src=\"https://evil.example\"></iframe>",
            "<a href=\"javascript:alert(1)\">x</a>",
            "[x](data:text/html;base64,PHNjcmlwdD4=)",
        ];
        for text in hostile {
            let html = render_markdown(text);
            assert!(!html.contains("<script"), "{html}");
            assert!(!html.contains("<img"), "{html}");
            assert!(!html.contains("<iframe"), "{html}");
            assert!(!html.contains("<a href=\"javascript"), "{html}");
            assert!(!html.to_ascii_lowercase().contains("<a href=\"javascript:"), "{html}");
            assert!(!html.contains("href=\"data:"), "{html}");
        }
    }
}
