//! `require("jsonwebtoken")` as the next lecture uses it: `jwt.sign(payload, secret, { expiresIn })` and
//! `jwt.verify(token, secret)` with HS256 — a real HMAC-SHA256 signature, `iat`/`exp` from the page's clock — and
//! jsonwebtoken's errors (`JsonWebTokenError: invalid signature`, `TokenExpiredError: jwt expired` ...).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use bson::Bson;
use sha2::{Digest, Sha256};

/// HMAC-SHA256 (RFC 2104).
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(block.map(|b| b ^ 0x36));
    inner.update(message);
    let inner = inner.finalize();
    let mut outer = Sha256::new();
    outer.update(block.map(|b| b ^ 0x5c));
    outer.update(inner);
    outer.finalize().into()
}

/// jsonwebtoken's errors: `name` and `message`.
#[derive(Debug, Clone, PartialEq)]
pub struct JwtError {
    pub name: &'static str,
    pub message: String,
    /// `TokenExpiredError.expiredAt`.
    pub expired_at: Option<bson::DateTime>,
}

fn error(name: &'static str, message: impl Into<String>) -> JwtError {
    JwtError { name, message: message.into(), expired_at: None }
}

/// `expiresIn` as the `ms` package reads it: a number of seconds, or `"90s"`, `"10m"`, `"2h"`, `"7d"`, `"1y"`.
pub fn seconds_of(expires_in: &Bson) -> Result<i64, JwtError> {
    let invalid = || error("Error", "\"expiresIn\" should be a number of seconds or string representing a timespan");
    match expires_in {
        Bson::Int32(n) => Ok(i64::from(*n)),
        Bson::Int64(n) => Ok(*n),
        Bson::Double(n) if n.is_finite() => Ok(n.floor() as i64),
        Bson::String(text) => {
            // crudlab reads the span trimmed and refuses a negative one (`ms` itself reads "-1h", a token born
            // expired).
            let text = text.trim();
            if text.starts_with('-') {
                return Err(invalid());
            }
            let millis = crate::js::ms::parse(text).ok_or_else(invalid)?;
            Ok((millis / 1000.0).floor() as i64)
        }
        _ => Err(invalid()),
    }
}

/// `jwt.sign(payload, secret, options)`: the payload gains `iat` (and `exp` with `expiresIn`), in that order.
/// `payload` is the payload as `JSON.stringify` writes it (an ObjectId is its hex string).
pub fn sign(payload: &str, secret: &str, expires_in: Option<&Bson>, now_millis: i64) -> Result<String, JwtError> {
    if secret.is_empty() {
        return Err(error("Error", "secretOrPrivateKey must have a value"));
    }
    let mut claims: serde_json::Map<String, serde_json::Value> = match serde_json::from_str(payload) {
        Ok(serde_json::Value::Object(claims)) => claims,
        _ => return Err(error("Error", "Expected \"payload\" to be a plain object.")),
    };
    let iat = now_millis.div_euclid(1000);
    claims.entry("iat").or_insert(serde_json::Value::from(iat));
    if let Some(expires_in) = expires_in {
        if claims.contains_key("exp") {
            return Err(error(
                "Error",
                "Bad \"options.expiresIn\" option the payload already has an \"exp\" property.",
            ));
        }
        claims.insert("exp".to_string(), serde_json::Value::from(iat + seconds_of(expires_in)?));
    }
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let body = URL_SAFE_NO_PAD.encode(serde_json::Value::Object(claims).to_string());
    let signing_input = format!("{header}.{body}");
    let signature = URL_SAFE_NO_PAD.encode(hmac_sha256(secret.as_bytes(), signing_input.as_bytes()));
    Ok(format!("{signing_input}.{signature}"))
}

/// `jwt.verify(token, secret)`: the payload, or jsonwebtoken's error.
pub fn verify(token: &str, secret: &str, now_millis: i64) -> Result<serde_json::Value, JwtError> {
    if token.is_empty() {
        return Err(error("JsonWebTokenError", "jwt must be provided"));
    }
    let parts: Vec<&str> = token.split('.').collect();
    if parts.len() != 3 {
        return Err(error("JsonWebTokenError", "jwt malformed"));
    }
    let decode = |part: &str| -> Result<serde_json::Value, JwtError> {
        let bytes = URL_SAFE_NO_PAD.decode(part).map_err(|_| error("JsonWebTokenError", "invalid token"))?;
        serde_json::from_slice(&bytes).map_err(|_| error("JsonWebTokenError", "invalid token"))
    };
    let header = decode(parts[0])?;
    if header.get("alg").and_then(|a| a.as_str()) != Some("HS256") {
        return Err(error("JsonWebTokenError", "invalid algorithm"));
    }
    if secret.is_empty() {
        return Err(error("JsonWebTokenError", "secret or public key must be provided"));
    }
    let expected =
        URL_SAFE_NO_PAD.encode(hmac_sha256(secret.as_bytes(), format!("{}.{}", parts[0], parts[1]).as_bytes()));
    if expected != parts[2] {
        return Err(error("JsonWebTokenError", "invalid signature"));
    }
    let payload = decode(parts[1])?;
    if let Some(exp) = payload.get("exp").and_then(|e| e.as_f64()) {
        if now_millis.div_euclid(1000) as f64 >= exp {
            return Err(JwtError {
                name: "TokenExpiredError",
                message: "jwt expired".to_string(),
                expired_at: Some(bson::DateTime::from_millis((exp * 1000.0) as i64)),
            });
        }
    }
    Ok(payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_sha256_matches_rfc_4231() {
        // RFC 4231 test case 2.
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }

    #[test]
    fn the_jwt_io_example_verifies() {
        // The example token of RFC 7519 / jwt.io, HS256 with the secret "your-256-bit-secret".
        let token = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
        let payload = verify(token, "your-256-bit-secret", 1_600_000_000_000).unwrap();
        assert_eq!(payload["name"], "John Doe");
        assert_eq!(verify(token, "wrong", 0).unwrap_err().message, "invalid signature");
        assert_eq!(verify("abc", "x", 0).unwrap_err().message, "jwt malformed");
    }

    #[test]
    fn signed_tokens_carry_iat_and_exp_and_expire() {
        let token = sign(r#"{"user":"ada"}"#, "s3cret", Some(&Bson::String("1h".into())), 1_700_000_000_500).unwrap();
        let payload = verify(&token, "s3cret", 1_700_000_000_500).unwrap();
        assert_eq!(payload.to_string(), r#"{"user":"ada","iat":1700000000,"exp":1700003600}"#);
        let expired = verify(&token, "s3cret", 1_700_003_600_000).unwrap_err();
        assert_eq!((expired.name, expired.message.as_str()), ("TokenExpiredError", "jwt expired"));
        assert_eq!(seconds_of(&Bson::String("7d".into())).unwrap(), 604_800);
        assert_eq!(seconds_of(&Bson::Int32(60)).unwrap(), 60);
    }

    #[test]
    fn expires_in_is_read_by_the_shared_ms_parser_trimmed_and_never_negative() {
        let seconds = |text: &str| seconds_of(&Bson::String(text.into())).map_err(|e| e.message);
        assert_eq!(seconds(" 1.5h "), Ok(5_400));
        assert_eq!(seconds("1 year"), Ok(31_557_600));
        assert_eq!(seconds("1500"), Ok(1));
        let refused = Err("\"expiresIn\" should be a number of seconds or string representing a timespan".to_string());
        assert_eq!(seconds("-1h"), refused);
        assert_eq!(seconds("1 fortnight"), refused);
    }
}
