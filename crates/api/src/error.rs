//! API errors: a stable machine-readable `code` and a human `message`.
//!
//! Codes are API: never renamed or reused. The protocol's own codes (`bad_nonce`,
//! `insufficient_balance`, `unauthorized`, …) come from `rampart_core::Error::code` and pass
//! through unchanged; the node adds the transport and envelope codes in [`codes`].

use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use utoipa::ToSchema;

/// The codes the node adds to the protocol's.
pub mod codes {
    /// The transaction was signed for another chain.
    pub const WRONG_CHAIN_ID: &str = "wrong_chain_id";
    /// The signature is malformed, not canonical (high `s`), or not by `from`.
    pub const BAD_SIGNATURE: &str = "bad_signature";
    /// The action is not in the vocabulary.
    pub const UNKNOWN_ACTION: &str = "unknown_action";
    /// The query is not in the vocabulary.
    pub const UNKNOWN_QUERY: &str = "unknown_query";
    /// The request body or a field of it is larger than allowed.
    pub const PAYLOAD_TOO_LARGE: &str = "payload_too_large";
    /// An amount does not fit the protocol's 128-bit accounting.
    pub const AMOUNT_OVERFLOW: &str = "amount_overflow";
    /// The body is not JSON.
    pub const MALFORMED_JSON: &str = "malformed_json";
    /// The JSON is well formed but a field is missing, unknown or of the wrong type.
    pub const INVALID_INPUT: &str = "invalid_input";
    /// The nonce is not the account's next one (reused, or with a gap).
    pub const BAD_NONCE: &str = "bad_nonce";
    /// The same transaction is already pending or committed.
    pub const ALREADY_KNOWN: &str = "already_known";
    /// The mempool is full and the transaction's tip is too low to evict another.
    pub const MEMPOOL_FULL: &str = "mempool_full";
    /// The account has the maximum number of pending transactions.
    pub const ACCOUNT_QUEUE_FULL: &str = "account_queue_full";
    /// Too many requests from this client.
    pub const RATE_LIMITED: &str = "rate_limited";
    /// No such block, transaction or route.
    pub const NOT_FOUND: &str = "not_found";
    /// The node failed (storage error); the request may be retried.
    pub const INTERNAL: &str = "internal";
    /// The node is shutting down or its block producer has stopped.
    pub const UNAVAILABLE: &str = "unavailable";
    /// The request (or its body) did not arrive, or was not answered, in time.
    pub const REQUEST_TIMEOUT: &str = "request_timeout";
    /// The request's URI is longer than allowed (HTTP 414).
    pub const URI_TOO_LONG: &str = "uri_too_long";
    /// The request's headers are too many or too large (HTTP 431).
    pub const HEADERS_TOO_LARGE: &str = "headers_too_large";
    /// The request is not valid HTTP (HTTP 400 from the HTTP layer).
    pub const MALFORMED_REQUEST: &str = "malformed_request";
    /// Too many open connections, in all or from this client (HTTP 503).
    pub const TOO_MANY_CONNECTIONS: &str = "too_many_connections";
    /// The route does not take that method (HTTP 405).
    pub const METHOD_NOT_ALLOWED: &str = "method_not_allowed";
}

/// An error as the API returns it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiError {
    /// Stable snake_case code.
    #[schema(value_type = String, example = "bad_nonce")]
    pub code: Cow<'static, str>,
    /// What went wrong, for people.
    pub message: String,
}

impl ApiError {
    /// An error with `code` and `message`.
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code: Cow::Borrowed(code),
            message: message.into(),
        }
    }

    /// Whether the error has this code.
    pub fn is(&self, code: &str) -> bool {
        self.code == code
    }
}

impl From<rampart_core::Error> for ApiError {
    fn from(e: rampart_core::Error) -> Self {
        Self::new(e.code(), e.to_string())
    }
}

/// Classifies a serde error from parsing an action or a query: unknown names, amounts that
/// overflow 128 bits, everything else is invalid input.
pub fn classify_serde(kind: &str, name: &str, e: &serde_json::Error) -> ApiError {
    let msg = e.to_string();
    let unknown_name = msg.contains("unknown variant") && msg.contains("expected one of");
    let code = if unknown_name && !msg.contains("field") {
        if kind == "query" {
            codes::UNKNOWN_QUERY
        } else {
            codes::UNKNOWN_ACTION
        }
    } else if msg.contains("does not fit in 128 bits") {
        codes::AMOUNT_OVERFLOW
    } else {
        codes::INVALID_INPUT
    };
    ApiError::new(code, format!("{kind} `{name}`: {msg}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_serialize_as_code_and_message() {
        let e = ApiError::new(codes::BAD_SIGNATURE, "nope");
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            serde_json::json!({"code": "bad_signature", "message": "nope"})
        );
        let back: ApiError = serde_json::from_value(serde_json::to_value(&e).unwrap()).unwrap();
        assert!(back.is("bad_signature"));
    }

    #[test]
    fn core_errors_keep_their_codes() {
        let e: ApiError = rampart_core::Error::invalid("amount", "must be positive").into();
        assert_eq!(e.code, "invalid_input");
    }
}
