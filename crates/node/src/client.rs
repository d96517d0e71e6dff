//! A blocking HTTP client of the node's API (the CLI, the load generator and the tests use it).

use alloy_primitives::{Address, B256};
use rampart_api::types::{BatchItem, NonceView, ReceiptView, StatusView, TxStatus};
use rampart_api::{ApiError, SignedTx};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::time::{Duration, Instant};

/// Largest response body read.
const MAX_RESPONSE_BYTES: u64 = 256 * 1024 * 1024;

/// A failed call.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The node answered with an error.
    #[error("{status} {error}")]
    Api {
        /// HTTP status.
        status: u16,
        /// The node's error.
        error: ApiError,
    },
    /// The node could not be reached.
    #[error(
        "cannot reach the node at {url}: {reason} (is it running? point elsewhere with --node URL or RAMPART_NODE)"
    )]
    Unreachable {
        /// The node's base URL.
        url: String,
        /// What failed.
        reason: String,
    },
    /// The node answered something that is not the API's JSON.
    #[error("transport: {0}")]
    Transport(String),
    /// A wait ran out.
    #[error("timed out after {0:?}")]
    Timeout(Duration),
}

impl ClientError {
    /// The API error code, if the node answered with one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Api { error, .. } => Some(&error.code),
            _ => None,
        }
    }
}

fn transport(e: impl std::fmt::Display) -> ClientError {
    ClientError::Transport(e.to_string())
}

/// A client of one node.
#[derive(Clone, Debug)]
pub struct Client {
    base: String,
    agent: ureq::Agent,
}

impl Client {
    /// A client of the node at `base` (`http://127.0.0.1:8645`).
    pub fn new(base: &str) -> Self {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        Self {
            base: base.trim_end_matches('/').to_owned(),
            agent,
        }
    }

    /// The node's base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Sends raw bytes to `path` with `method`; returns the status and the body as text.
    pub fn raw(&self, method: &str, path: &str, body: &[u8]) -> Result<(u16, String), ClientError> {
        let url = format!("{}{path}", self.base);
        let response = match method {
            "GET" => self.agent.get(&url).call(),
            "DELETE" => self.agent.delete(&url).call(),
            _ => self
                .agent
                .post(&url)
                .header("content-type", "application/json")
                .send(body),
        }
        .map_err(|e| ClientError::Unreachable {
            url: self.base.clone(),
            reason: e.to_string(),
        })?;
        let status = response.status().as_u16();
        let bytes = response
            .into_body()
            .with_config()
            .limit(MAX_RESPONSE_BYTES)
            .read_to_vec()
            .map_err(transport)?;
        Ok((status, String::from_utf8_lossy(&bytes).into_owned()))
    }

    fn decode<T: DeserializeOwned>(status: u16, text: &str) -> Result<T, ClientError> {
        if (200..300).contains(&status) {
            return serde_json::from_str(text)
                .map_err(|e| transport(format!("bad response: {e}: {text}")));
        }
        let error = serde_json::from_str::<ApiError>(text)
            .map_err(|_| transport(format!("HTTP {status}: {text}")))?;
        Err(ClientError::Api { status, error })
    }

    /// `GET path` as JSON.
    pub fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        let (status, text) = self.raw("GET", path, &[])?;
        Self::decode(status, &text)
    }

    /// `POST path` with a JSON body.
    pub fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &impl Serialize,
    ) -> Result<T, ClientError> {
        let bytes = serde_json::to_vec(body).map_err(transport)?;
        let (status, text) = self.raw("POST", path, &bytes)?;
        Self::decode(status, &text)
    }

    /// Submits a signed transaction; returns its hash.
    pub fn submit(&self, tx: &SignedTx) -> Result<B256, ClientError> {
        let r: rampart_api::types::SubmitResponse = self.post("/v1/tx", tx)?;
        Ok(r.hash)
    }

    /// Submits a batch.
    pub fn submit_batch(&self, txs: &[SignedTx]) -> Result<Vec<BatchItem>, ClientError> {
        self.post("/v1/txs", &txs)
    }

    /// The node's status.
    pub fn status(&self) -> Result<StatusView, ClientError> {
        self.get("/v1/status")
    }

    /// An account's nonces.
    pub fn nonce(&self, address: &Address) -> Result<NonceView, ClientError> {
        self.get(&format!("/v1/accounts/{address:#x}/nonce"))
    }

    /// Runs a query.
    pub fn query(&self, query: &serde_json::Value) -> Result<serde_json::Value, ClientError> {
        self.post("/v1/query", query)
    }

    /// A transaction's status.
    pub fn tx_status(&self, hash: &B256) -> Result<TxStatus, ClientError> {
        self.get(&format!("/v1/tx/{hash:#x}"))
    }

    /// Polls until the transaction is committed, or `timeout` passes.
    pub fn wait_receipt(&self, hash: &B256, timeout: Duration) -> Result<ReceiptView, ClientError> {
        let start = Instant::now();
        loop {
            match self.tx_status(hash) {
                Ok(TxStatus::Committed { receipt }) => return Ok(*receipt),
                Ok(TxStatus::Pending { .. }) => {}
                Err(e) if e.code() == Some(rampart_api::codes::NOT_FOUND) => {}
                Err(e) => return Err(e),
            }
            if start.elapsed() > timeout {
                return Err(ClientError::Timeout(timeout));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until the node answers `/health`.
    pub fn wait_ready(&self, timeout: Duration) -> Result<(), ClientError> {
        let start = Instant::now();
        loop {
            match self.raw("GET", "/health", &[]) {
                Ok((200, _)) => return Ok(()),
                _ if start.elapsed() > timeout => return Err(ClientError::Timeout(timeout)),
                _ => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }
}
