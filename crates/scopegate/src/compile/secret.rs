//! HMAC secrets (`hmac_secret_env`, `hmac_secret_encoding`): read, decoded, and measured
//! against the hash output of each HS algorithm (RFC 7518 section 3.2). Values are never shown.

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use jsonwebtoken::Algorithm;

use super::Ctx;
use crate::policy::load::SecretUnreadable;
use crate::policy::spans::IssuerSpans;
use crate::policy::{HmacSecretEncoding, IssuerSource};

/// An issuer's HMAC secret, as far as it could be read.
pub(super) enum Secret {
    /// No `hmac_secret_env`.
    NotConfigured,
    /// Configured but unusable (already reported as an error).
    Failed,
    /// The decoded secret.
    Bytes(Vec<u8>),
}

/// The smallest secret RFC 7518 section 3.2 allows for an HS algorithm: its hash output.
pub(super) fn min_secret_len(alg: Algorithm) -> Option<usize> {
    match alg {
        Algorithm::HS256 => Some(32),
        Algorithm::HS384 => Some(48),
        Algorithm::HS512 => Some(64),
        _ => None,
    }
}

/// The HS algorithms allowed by default for a secret of `len` bytes: HS256 always (a shorter
/// secret is warned about), HS384 and HS512 only when the secret is as long as their hash.
pub(super) fn default_hmac_algorithms(len: usize) -> Vec<Algorithm> {
    [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512]
        .into_iter()
        .filter(|a| *a == Algorithm::HS256 || min_secret_len(*a).is_some_and(|min| len >= min))
        .collect()
}

/// Reads and decodes the issuer's secret, reporting what is wrong with it.
pub(super) fn hmac_secret(ctx: &mut Ctx<'_>, subject: &str, src: &IssuerSource, spans: &IssuerSpans) -> Secret {
    let Some(var) = &src.hmac_secret_env else {
        return Secret::NotConfigured;
    };
    let at = ctx.at(spans.hmac_secret_env.as_ref(), var);
    let encoding = src.hmac_secret_encoding;
    let problem = match ctx.policy.secret(var) {
        Ok(None) => format!("environment variable `{var}` (hmac_secret_env) is not set"),
        Err(SecretUnreadable) => format!(
            "environment variable `{var}` (hmac_secret_env) is set but is not valid UTF-8 text; write binary secrets as base64, base64url or hex and set `hmac_secret_encoding`"
        ),
        Ok(Some(text)) if text.is_empty() => format!("environment variable `{var}` (hmac_secret_env) is empty"),
        Ok(Some(text)) => match decode(&text, encoding) {
            Ok(bytes) if bytes.is_empty() => format!("the secret in `{var}` decodes to no bytes"),
            Ok(bytes) => return Secret::Bytes(bytes),
            Err(why) => format!(
                "environment variable `{var}` (hmac_secret_env) is set but is not valid {} (hmac_secret_encoding): {why}",
                encoding.as_str()
            ),
        },
    };
    ctx.error(subject, at, problem);
    Secret::Failed
}

/// Warns when the secret is shorter than the hash output of an allowed HS algorithm.
pub(super) fn warn_if_short(
    ctx: &mut Ctx<'_>,
    subject: &str,
    src: &IssuerSource,
    spans: &IssuerSpans,
    len: usize,
    algorithms: &[Algorithm],
) {
    let short: Vec<String> = algorithms
        .iter()
        .filter_map(|a| {
            min_secret_len(*a)
                .filter(|min| len < *min)
                .map(|min| format!("{a:?} needs {min}"))
        })
        .collect();
    if short.is_empty() {
        return;
    }
    let var = src.hmac_secret_env.as_deref().unwrap_or_default();
    let at = ctx.at(spans.hmac_secret_env.as_ref(), var);
    let message = format!(
        "the secret in `{var}` is {len} bytes, shorter than the hash output ({}; RFC 7518 section 3.2): use a longer secret or fewer `algorithms`",
        short.join(", ")
    );
    ctx.warn(subject, at, message);
}

/// Decodes a secret's text. Errors say what is wrong, never what the value is.
pub(super) fn decode(text: &str, encoding: HmacSecretEncoding) -> Result<Vec<u8>, String> {
    let lenient = GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    match encoding {
        HmacSecretEncoding::Utf8 => Ok(text.as_bytes().to_vec()),
        HmacSecretEncoding::Base64 => GeneralPurpose::new(&alphabet::STANDARD, lenient)
            .decode(text.trim())
            .map_err(|e| e.to_string()),
        HmacSecretEncoding::Base64url => GeneralPurpose::new(&alphabet::URL_SAFE, lenient)
            .decode(text.trim())
            .map_err(|e| e.to_string()),
        HmacSecretEncoding::Hex => hex(text.trim()),
    }
}

fn hex(text: &str) -> Result<Vec<u8>, String> {
    let digits = text.as_bytes();
    if !digits.len().is_multiple_of(2) {
        return Err(format!("{} hex digits, not an even number", digits.len()));
    }
    let value = |i: usize, c: u8| -> Result<u8, String> {
        (c as char)
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
            .ok_or_else(|| format!("character {} is not a hex digit", i + 1))
    };
    digits
        .chunks(2)
        .enumerate()
        .map(|(i, pair)| match pair {
            [hi, lo] => Ok(value(2 * i, *hi)? << 4 | value(2 * i + 1, *lo)?),
            _ => Err("odd number of hex digits".to_string()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_each_encoding_and_says_what_is_wrong() {
        let d = |t: &str, e| decode(t, e);
        assert_eq!(d("abc", HmacSecretEncoding::Utf8).unwrap(), b"abc");
        assert_eq!(d("AP8=", HmacSecretEncoding::Base64).unwrap(), [0, 255]);
        assert_eq!(d("AP8", HmacSecretEncoding::Base64).unwrap(), [0, 255]);
        assert_eq!(d("_-8", HmacSecretEncoding::Base64url).unwrap(), [255, 239]);
        assert!(d("_-8", HmacSecretEncoding::Base64).is_err());
        assert_eq!(d("00fFa0\n", HmacSecretEncoding::Hex).unwrap(), [0, 255, 160]);
        assert!(d("0g", HmacSecretEncoding::Hex).unwrap_err().contains("character 2"));
        assert!(d("abc", HmacSecretEncoding::Hex).unwrap_err().contains("even"));
    }

    #[test]
    fn default_hmac_algorithms_follow_the_secret_length() {
        use Algorithm::{HS256, HS384, HS512};
        assert_eq!(default_hmac_algorithms(16), [HS256]);
        assert_eq!(default_hmac_algorithms(47), [HS256]);
        assert_eq!(default_hmac_algorithms(48), [HS256, HS384]);
        assert_eq!(default_hmac_algorithms(64), [HS256, HS384, HS512]);
    }
}
