//! Share links: a script (the editor's text) deflated and base64url-encoded into the URL fragment
//! (`#s=v1.<data>`), and decoded back with limits, so a bad or hostile link gets a clear message, never a broken page.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// The fragment key and format version.
const PREFIX: &str = "s=v1.";

/// The longest fragment accepted (browsers accept far more; a lecture script needs far less).
pub const MAX_LINK_CHARS: usize = 60_000;

/// The longest script a link may expand to (the playground's own limit on one run).
pub const MAX_SCRIPT_BYTES: usize = crate::shell::parser::MAX_SOURCE_BYTES;

/// The fragment (without `#`) that opens the playground with `script` in the editor.
pub fn encode(script: &str) -> String {
    let compressed = miniz_oxide::deflate::compress_to_vec(script.as_bytes(), 9);
    format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(compressed))
}

/// Whether a fragment is a share link at all (other fragments, like `#lesson-…`, are not).
pub fn is_share_link(fragment: &str) -> bool {
    fragment.trim_start_matches('#').starts_with("s=")
}

/// The script a fragment carries, or why it cannot be opened.
pub fn decode(fragment: &str) -> Result<String, String> {
    let fragment = fragment.trim_start_matches('#');
    if fragment.len() > MAX_LINK_CHARS {
        return Err(format!("This share link is too long ({} characters; at most {MAX_LINK_CHARS}).", fragment.len()));
    }
    let Some(data) = fragment.strip_prefix(PREFIX) else {
        return Err(if fragment.starts_with("s=") {
            "This share link was made by another version of crudlab and cannot be opened here.".to_string()
        } else {
            "This is not a crudlab share link.".to_string()
        });
    };
    let compressed =
        URL_SAFE_NO_PAD.decode(data).map_err(|e| format!("This share link is damaged (not valid base64url: {e})."))?;
    let bytes = miniz_oxide::inflate::decompress_to_vec_with_limit(&compressed, MAX_SCRIPT_BYTES).map_err(|e| {
        if matches!(e.status, miniz_oxide::inflate::TINFLStatus::HasMoreOutput) {
            format!("This share link expands to more than {MAX_SCRIPT_BYTES} bytes, more than one run may hold.")
        } else {
            "This share link is damaged (its data does not decompress); ask for the link again.".to_string()
        }
    })?;
    String::from_utf8(bytes).map_err(|_| "This share link is damaged (its script is not valid text).".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_round_trip_through_links() {
        for script in ["", "db.users.find({ age: { $gt: 18 } })", "User.create({ name: \"Zoë 🦀\" })\n// ünïcode"]
        {
            let link = encode(script);
            assert!(is_share_link(&link));
            assert_eq!(decode(&format!("#{link}")).as_deref(), Ok(script));
        }
    }

    #[test]
    fn bad_links_get_clear_messages() {
        assert_eq!(decode("lesson-3").unwrap_err(), "This is not a crudlab share link.");
        assert!(decode("s=v9.abc").unwrap_err().contains("another version"));
        assert!(decode("s=v1.***").unwrap_err().contains("not valid base64url"));
        assert!(decode("s=v1.AAAA").unwrap_err().contains("does not decompress"));
        let bomb = encode(&"a".repeat(MAX_SCRIPT_BYTES + 10));
        assert!(decode(&bomb).unwrap_err().contains("expands to more than"));
        let long = format!("s=v1.{}", "A".repeat(MAX_LINK_CHARS));
        assert!(decode(&long).unwrap_err().contains("too long"));
        let invalid_utf8 =
            format!("s=v1.{}", URL_SAFE_NO_PAD.encode(miniz_oxide::deflate::compress_to_vec(&[0xff, 0xfe], 6)));
        assert!(decode(&invalid_utf8).unwrap_err().contains("not valid text"));
    }
}
