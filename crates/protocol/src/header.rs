//! The codec for signed messages that travel in an HTTP header (an upload approval, an owner's read): the
//! message and its signature as JSON, hex-encoded so any header can carry it.

use serde::{Serialize, de::DeserializeOwned};

/// The longest header value accepted: far above any message the protocol signs, far below a body.
pub const MAX_HEADER_CHARS: usize = 16 * 1024;

/// Why a header value is not a signed message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    /// Longer than [`MAX_HEADER_CHARS`].
    #[error("the {header} header is {length} characters long, more than {MAX_HEADER_CHARS}")]
    TooLong {
        /// The header.
        header: &'static str,
        /// Its length.
        length: usize,
    },
    /// Not hex.
    #[error("the {header} header is not hex: {reason}")]
    NotHex {
        /// The header.
        header: &'static str,
        /// Why.
        reason: String,
    },
    /// Not the JSON of the message.
    #[error("the {header} header does not hold a signed message: {reason}")]
    NotMessage {
        /// The header.
        header: &'static str,
        /// Why.
        reason: String,
    },
}

/// A signed message sent in the HTTP header [`HEADER`](Self::HEADER).
pub trait SignedHeader: Serialize + DeserializeOwned {
    /// The header's name.
    const HEADER: &'static str;

    /// The header value: the JSON, hex-encoded.
    fn to_header(&self) -> String {
        // Serializing plain structs of strings, numbers and bytes cannot fail.
        alloy::hex::encode(serde_json::to_vec(self).unwrap_or_default())
    }

    /// Parses a header value.
    fn from_header(value: &str) -> Result<Self, HeaderError> {
        let header = Self::HEADER;
        if value.len() > MAX_HEADER_CHARS {
            return Err(HeaderError::TooLong {
                header,
                length: value.len(),
            });
        }
        let json = alloy::hex::decode(value.trim()).map_err(|e| HeaderError::NotHex {
            header,
            reason: e.to_string(),
        })?;
        serde_json::from_slice(&json).map_err(|e| HeaderError::NotMessage {
            header,
            reason: e.to_string(),
        })
    }
}
