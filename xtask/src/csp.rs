//! `cargo xtask csp [DIR]`: writes the page's Content-Security-Policy into `DIR/index.html` (Trunk's staging
//! directory when run as Trunk's post-build hook). Trunk starts the app with an inline module script whose text
//! depends on the build (file hashes, public URL, `trunk serve`'s reload script), so the policy allows exactly those
//! inline scripts by their SHA-256 and nothing else inline.

use base64::Engine;
use sha2::{Digest, Sha256};
use std::path::PathBuf;

/// Everything the app needs and nothing more: its own files, WebAssembly compilation, and IndexedDB (which CSP
/// does not govern). No inline script but Trunk's loader, no eval, no plugins, no other origins.
fn policy(inline_hashes: &[String]) -> String {
    let scripts: Vec<String> = inline_hashes.iter().map(|hash| format!("'sha256-{hash}'")).collect();
    format!(
        "default-src 'none'; script-src 'self' 'wasm-unsafe-eval' {}; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; object-src 'none'",
        scripts.join(" ")
    )
}

/// The SHA-256 (base64) of every inline `<script>` (one without `src`) in the page, in order.
pub fn inline_script_hashes(html: &str) -> Vec<String> {
    let mut hashes = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        let after = &rest[start..];
        let Some(open_end) = after.find('>') else { break };
        let tag = &after[..open_end];
        let body_and_rest = &after[open_end + 1..];
        let Some(close) = body_and_rest.find("</script>") else { break };
        if !tag.contains(" src=") {
            let digest = Sha256::digest(&body_and_rest.as_bytes()[..close]);
            hashes.push(base64::engine::general_purpose::STANDARD.encode(digest));
        }
        rest = &body_and_rest[close + "</script>".len()..];
    }
    hashes
}

/// The page with its policy in a `<meta http-equiv>` right after `<meta charset>` (before any script), replacing
/// a policy written by an earlier run.
pub fn with_policy(html: &str) -> Result<String, String> {
    let mut page = html.to_string();
    if let Some(start) = page.find("<meta http-equiv=\"Content-Security-Policy\"") {
        let end = page[start..].find('>').map(|e| start + e + 1).ok_or("an unclosed Content-Security-Policy meta")?;
        // Its own line goes with it, so a second run writes the same page.
        let indented = page[..start].trim_end_matches(' ');
        let line_start = indented.strip_suffix('\n').unwrap_or(indented).len();
        page.replace_range(line_start..end, "");
    }
    let meta =
        format!("<meta http-equiv=\"Content-Security-Policy\" content=\"{}\" />", policy(&inline_script_hashes(&page)));
    let charset = page.find("<meta charset").ok_or("index.html has no <meta charset>")?;
    let insert_at = page[charset..].find('>').map(|e| charset + e + 1).ok_or("an unclosed <meta charset>")?;
    page.insert_str(insert_at, &format!("\n    {meta}"));
    Ok(page)
}

pub fn csp(args: &[String]) -> Result<(), String> {
    let dir: PathBuf = match args.first() {
        Some(dir) => dir.into(),
        None => std::env::var_os("TRUNK_STAGING_DIR")
            .map(Into::into)
            .ok_or("usage: cargo xtask csp DIR (or run as Trunk's post_build hook)")?,
    };
    let file = dir.join("index.html");
    let html = std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
    std::fs::write(&file, with_policy(&html)?).map_err(|e| format!("{}: {e}", file.display()))?;
    let count = inline_script_hashes(&html).len();
    eprintln!(
        "xtask: Content-Security-Policy written to {} ({count} inline script(s) allowed by hash)",
        file.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "<html><head>\n<meta charset=\"utf-8\" />\n<script type=\"module\">import init from '/a.js';</script>\n<script src=\"/b.js\"></script></head></html>";

    #[test]
    fn only_inline_scripts_are_hashed_and_the_policy_goes_before_them() {
        let page = with_policy(PAGE).unwrap();
        let hashes = inline_script_hashes(PAGE);
        assert_eq!(hashes.len(), 1);
        let meta = page.find("Content-Security-Policy").unwrap();
        assert!(meta < page.find("<script").unwrap());
        assert!(page.contains(&format!("'sha256-{}'", hashes[0])));
        assert!(page.contains("default-src 'none'"));
        // Running again replaces the policy instead of adding a second one.
        let again = with_policy(&page).unwrap();
        assert_eq!(again.matches("Content-Security-Policy").count(), 1);
        assert_eq!(again, page);
    }
}
